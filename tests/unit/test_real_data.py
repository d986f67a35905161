"""Real-world data through the whole engine: NaN in checks, awkward column names end to end, and files
that Iceberg cannot hold as they are refused with a message naming the file and the column."""


from __future__ import annotations

from wap_notebook import checks as C
from wap_notebook.checks.yaml_form import parse_checks


def test_nan_as_null_survives_the_yaml_round_trip():
    import yaml

    check = C.not_null("x", nan_as_null=True, name="n")
    [back] = parse_checks(yaml.safe_dump([check.to_config()]))
    assert back.to_config() == check.to_config() and back.predicate() == '("x" IS NULL OR isnan("x"))'
    assert "nan_as_null" not in C.not_null("x").to_config()["not_null"]  # default configs unchanged
