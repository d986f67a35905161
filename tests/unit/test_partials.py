"""Check partials computed during the import agree with the SQL the checks would otherwise run.

Every measure is compared with DuckDB (the SQL path of `LocalClient.query`) on the same rows, with
nulls, NaN, duplicates across files and batches, and with the failure modes that must leave no
partials behind: a failed import, a failed file under continue_on_error, a base that is not an ancestor.
"""


from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wap_notebook.core.partials_contract import Measure
from wap_notebook.lakehouse import partials
from wap_notebook.lakehouse.partials import KeySet


@pytest.mark.parametrize("spread", [1, 1_000_003])  # dense ids (flags), sparse ids (hash table, then spill)
@pytest.mark.parametrize("typ", [pa.int64(), pa.int32(), pa.timestamp("us"), pa.string(), pa.float64()])
def test_keyset_is_exact_in_memory_and_after_spilling(typ, spread):
    values = [(i % 700) * spread for i in range(3000)] + [None] * 5
    if pa.types.is_timestamp(typ):
        column = pa.array(values, pa.int64()).cast(typ)
    elif pa.types.is_string(typ):
        column = pa.array([None if v is None else f"k{v}" for v in values], typ)
    elif pa.types.is_int32(typ):
        column = pa.array([None if v is None else v % (2**31 - 1) for v in values], typ)
    else:
        column = pa.array(values, typ)
    for budget in (10_000, 100):  # the second spills to disk after 100 keys (unless the keys are dense)
        keys = KeySet(typ, memory_keys=budget)
        for offset in range(0, len(column), 256):
            keys.add(column.slice(offset, 256))
        assert (keys.nonnull, keys.distinct()) == (3000, 700)


def test_dense_keys_that_turn_sparse_move_to_the_hash_table_exactly():
    keys = KeySet(pa.int64(), memory_keys=1000)
    keys.add(pa.array(list(range(500)) * 2, pa.int64()))  # dense: flags
    keys.add(pa.array([10**12, 10**12, 5, -(10**12)], pa.int64()))  # far apart: hash table from here on
    assert (keys.nonnull, keys.distinct()) == (1004, 502)


def test_unsupported_measures_are_left_out_not_guessed(tmp_path):
    schema = pa.schema([("n", pa.int64()), ("s", pa.string()), ("t", pa.timestamp("us"))])
    assert not partials.supported(Measure("not_matching", ("n",), "1"), schema)  # SQL casts to text
    assert not partials.supported(Measure("not_in", ("n",), [1.5]), schema)
    assert not partials.supported(Measure("not_in", ("s",), [1]), schema)
    assert not partials.supported(Measure("out_of_range", ("t",), ["2020-01-01", None]), schema)
    assert not partials.supported(Measure("nulls", ("missing",)), schema)
    assert partials.supported(Measure("distinct", ("t",)), schema)
    pq.write_table(pa.table({"n": [1]}), tmp_path / "x.parquet")  # (nothing else to clean up)
