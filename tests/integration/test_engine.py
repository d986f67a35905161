"""The engine's parts on their own: phase table, spec, errors, check registry, client protocol, layering."""


from __future__ import annotations

import pyarrow as pa
import pytest

from wap_notebook import checks as C
from wap_notebook.engine.phases import Phase
from wap_notebook.errors import ActionNotAllowed, MergeRefused
from wap_notebook.ingestion import Ingestion

ORDERS = pa.table({"id": [1, 2, 3], "amount": [1.0, 2.0, 3.0]})


def test_merge_refused_is_typed(lakehouse, put_table):
    ing = Ingestion("orders", put_table("e/a.parquet", ORDERS), checks=[C.between("amount", 5, 9)],
                    client=lakehouse).run()
    assert ing.phase == Phase.FAILED
    with pytest.raises(MergeRefused):
        ing.merge()
    with pytest.raises(ActionNotAllowed, match="allowed now"):
        ing.import_data()
    assert ing.inspect.failures("between").shape[0] == 3 and not ing.forced
    ing.merge(force=True, reason="known bad batch")
    assert ing.forced and ing.force_reason == "known bad batch" and ing.state.passed is False
    assert ing.spec.to_dict()["sources"] == ing.sources
