"""Query results written to files (`query_to_parquet_file`, `_csv_file`, `_json_file`).

Files are written next to their destination and renamed into place, so a failed export never leaves a
truncated file where a complete one is expected.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def write(path: str | os.PathLike[str], table: pa.Table, file_format: str) -> pathlib.Path:
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ValueError(f"path must be a file path, got {path!r}")
    target = pathlib.Path(path).expanduser()
    if target.is_dir():
        raise ValueError(f"path {str(target)!r} is a directory: give a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        if file_format == "parquet":
            pq.write_table(table, temp)
        elif file_format == "csv":
            pcsv.write_csv(table, temp)
        else:
            with open(temp, "w", encoding="utf-8") as out:
                rows = table.to_pylist()
                if file_format == "jsonl":
                    for row in rows:
                        out.write(json.dumps(row, default=_json_value) + "\n")
                else:
                    json.dump(rows, out, default=_json_value)
        os.replace(temp, target)
    except BaseException:
        pathlib.Path(temp).unlink(missing_ok=True)
        raise
    return target
