"""Type-checked by `make test` (mypy --strict, warn_unused_ignores): a typo in an option is a type error.

If an option stopped being a `Literal`, the ignores below would be unused and mypy would fail."""

from wap_notebook.ingestion import Ingestion


def typos_are_flagged() -> None:
    Ingestion("orders", "s3://bucket/orders/*.parquet", mode="apend")  # type: ignore[arg-type]
    Ingestion("orders", "s3://bucket/orders/*.parquet", on_success="merg")  # type: ignore[arg-type]
    Ingestion("orders", "s3://bucket/orders/*.parquet", on_failure="drop")  # type: ignore[arg-type]
    Ingestion("orders", "s3://bucket/orders/*.parquet", on_conflict="retry")  # type: ignore[arg-type]
