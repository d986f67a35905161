"""Arrow tables as pandas frames that keep their types: integers stay integers when a value is null.

pyarrow's default `to_pandas()` turns an int64 column holding one null into float64 (`1008.0`), and a
boolean one into object. Rows shown to a user (sample, failing rows) must read as they are stored, so
integers map to pandas' nullable `Int*` dtypes and booleans to `boolean`; everything else keeps
pyarrow's default mapping (floats stay float64, timestamps datetime64, strings pandas' string dtype).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

_NULLABLE: dict[pa.DataType, pd.api.extensions.ExtensionDtype] = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def to_frame(table: pa.Table) -> pd.DataFrame:
    """`table.to_pandas()` with nullable integer and boolean dtypes."""
    return table.to_pandas(types_mapper=_NULLABLE.get)
