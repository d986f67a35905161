"""Reading partials back: the rows a ref's table version added since another ref, from the snapshots' stored
partials or, failing that, their Iceberg column statistics."""

from __future__ import annotations

import json
import logging
from typing import Any

from wap_notebook.core.partials_contract import Measure, NewRowPartials
from wap_notebook.lakehouse.partials.collect import FORMAT_VERSION, PROPERTY
from wap_notebook.lakehouse.partials.measure import merge_minmax

logger = logging.getLogger(__name__)


def read(client: Any, table: str, namespace: str, ref: str, since_ref: str | None,
         wanted: tuple[Measure, ...] = ()) -> NewRowPartials | None:
    """Partials of the rows `table` gained on `ref` since `since_ref` (None: since it was created).

    A snapshot on the path that carries no partials (imported without a request) is described from its
    Iceberg column statistics instead, for the `wanted` measures those answer exactly (metadata first:
    null counts; bounds of integer columns). None when no snapshot on the path carries anything: the caller
    then uses SQL. `LocalClient`'s reader for `partials_contract.lookup` (registered in lakehouse/client.py).
    """
    try:
        from wap_notebook.lakehouse import tables

        key = f"{namespace}.{table}"
        location = client._resolve(ref).commit.state.tables.get(key)
        if location is None:
            return None
        base_location = client._resolve(since_ref).commit.state.tables.get(key) if since_ref else None
        return _walk(tables.load_table_at(location), tables.load_table_at(base_location) if base_location else None,
                     wanted)
    except Exception:  # noqa: BLE001 - any doubt means "no partials": the SQL path is always right
        logger.debug("partials lookup failed for %s", table, exc_info=True)
        return None


def _walk(after: Any, before: Any | None, wanted: tuple[Measure, ...] = ()) -> NewRowPartials | None:
    stop: int | None = None
    if before is not None:
        if before.metadata.table_uuid != after.metadata.table_uuid:
            return None  # a different table (replaced): "new rows since" is not an ancestry question
        base_snapshot = before.current_snapshot()
        stop = base_snapshot.snapshot_id if base_snapshot is not None else None
    rows_before = 0
    if before is not None and before.current_snapshot() is not None:
        summary = before.current_snapshot().summary
        rows_before = int(summary.additional_properties.get("total-records", 0)) if summary is not None else 0
    by_id = {s.snapshot_id: s for s in after.metadata.snapshots}
    snapshot = after.current_snapshot()
    documents: list[dict[str, Any]] = []
    while snapshot is not None and snapshot.snapshot_id != stop:
        summary = snapshot.summary
        props = summary.additional_properties if summary is not None else {}
        added = int(props.get("added-records", 0))
        if summary is None or str(summary.operation.value) != "append":
            return None
        raw = props.get(PROPERTY)
        document = json.loads(raw) if raw is not None else _from_statistics(after, snapshot, wanted, added)
        if document is None:
            return None
        if raw is not None:
            _fill_from_statistics(document, after, snapshot, wanted, added)
        if document.get("v") != FORMAT_VERSION or int(document["rows"]) != added:
            return None
        documents.append(document)
        parent = snapshot.parent_snapshot_id
        snapshot = by_id.get(parent) if parent is not None else None
        if snapshot is None and parent is not None:
            return None  # history expired: cannot prove the path
    if stop is not None and snapshot is None:
        return None  # the base snapshot is not an ancestor (rebased or rewritten): not this path
    if not documents or not any(d["m"] for d in documents):
        return None  # nothing known beyond row counts: ask SQL
    found = _combine(documents)
    found.rows_before = rows_before
    if before is not None:
        for m in wanted:
            if m.kind == "distinct" and m.columns[0] not in found.base_bounds:
                bounds = _integer_bounds(before, m.columns[0])
                if bounds is not False:
                    found.base_bounds[m.columns[0]] = bounds  # type: ignore[assignment]
    return found


def _fill_from_statistics(document: dict[str, Any], table: Any, snapshot: Any, wanted: tuple[Measure, ...],
                          added: int) -> None:
    """Measures a check asks for that the import was not asked to take (a check given later to `validate`):
    what the snapshot's column statistics state exactly (null counts, integer bounds) joins the document."""
    missing = tuple(m for m in wanted if m.key not in document.get("m", {}))
    if not missing or document.get("v") != FORMAT_VERSION:
        return
    found = _from_statistics(table, snapshot, missing, added)
    if found is not None:
        document["m"].update(found["m"])


def _from_statistics(table: Any, snapshot: Any, wanted: tuple[Measure, ...], added: int) -> dict[str, Any] | None:
    """A partials document for a snapshot's added data files, from the column statistics in its manifests.

    Only what the statistics state exactly: per-column null counts, and min/max of integer columns
    (whose bounds are never truncated and have no NaN). A file without a statistic makes the measure
    unknown; nothing else is derived.
    """
    from pyiceberg.conversions import from_bytes
    from pyiceberg.manifest import ManifestEntryStatus
    from pyiceberg.types import IntegerType, LongType

    useful = [m for m in wanted if m.kind in ("nulls", "minmax", "out_of_range")]
    if not useful:
        return {"v": FORMAT_VERSION, "rows": added, "m": {}}
    schema = table.schema()
    files = [entry.data_file for manifest in snapshot.manifests(table.io)
             for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True)
             if entry.status == ManifestEntryStatus.ADDED and entry.snapshot_id == snapshot.snapshot_id]
    if sum(f.record_count for f in files) != added:
        return None
    values: dict[str, Any] = {}
    for m in useful:
        try:
            field = schema.find_field(m.columns[0])
        except ValueError:
            continue
        found = [(f.null_value_counts or {}).get(field.field_id) for f in files]
        nulls = [int(n) for n in found if n is not None]
        if len(nulls) != len(found):
            continue
        if m.kind == "nulls":
            values[m.key] = sum(nulls)
            continue
        if not isinstance(field.field_type, (IntegerType, LongType)):
            continue
        bounds = []
        for f, n in zip(files, nulls, strict=True):
            lower, upper = (f.lower_bounds or {}).get(field.field_id), (f.upper_bounds or {}).get(field.field_id)
            if n < f.record_count and (lower is None or upper is None):
                break
            if n < f.record_count and lower is not None and upper is not None:
                bounds.append((from_bytes(field.field_type, lower), from_bytes(field.field_type, upper)))
        else:
            lo = min((b[0] for b in bounds), default=None)
            hi = max((b[1] for b in bounds), default=None)
            if m.kind == "minmax":
                values[m.key] = [lo, hi, 0, added - sum(nulls)]
            elif lo is None or ((m.arg[0] is None or lo >= m.arg[0]) and (m.arg[1] is None or hi <= m.arg[1])):
                values[m.key] = 0  # every value lies within the range: nothing out of it, without a scan
    return {"v": FORMAT_VERSION, "rows": added, "m": values}


def _integer_bounds(table: Any, column: str) -> tuple[int, int] | None | bool:
    """(min, max) of an integer column over every live data file of the table version, from the manifests;
    None when no file holds a value; False when the statistics cannot prove the bounds."""
    from pyiceberg.conversions import from_bytes
    from pyiceberg.types import IntegerType, LongType

    snapshot = table.current_snapshot()
    if snapshot is None:
        return None
    try:
        field = table.schema().find_field(column)
    except ValueError:
        return False
    if not isinstance(field.field_type, (IntegerType, LongType)):
        return False
    lows: list[Any] = []
    highs: list[Any] = []
    for manifest in snapshot.manifests(table.io):
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
            f = entry.data_file
            nulls = (f.null_value_counts or {}).get(field.field_id)
            if nulls is not None and nulls == f.record_count:
                continue  # no value of the column in this file
            lower, upper = (f.lower_bounds or {}).get(field.field_id), (f.upper_bounds or {}).get(field.field_id)
            if lower is None or upper is None:
                return False
            lows.append(from_bytes(field.field_type, lower))
            highs.append(from_bytes(field.field_type, upper))
    return (min(lows), max(highs)) if lows else None


def _combine(documents: list[dict[str, Any]]) -> NewRowPartials:
    """Each measure's values over several imports, told apart by shape: a count (int) adds up, a minmax
    ([min, max, NaN count, non-NULL count]) merges, moments ([count, sum, sum of squares]) add up element by
    element, distinct keys ([non-NULL, distinct]) stand only when one import carries keys."""
    result = NewRowPartials(rows=sum(int(d["rows"]) for d in documents), snapshots=len(documents))
    keys = set.intersection(*(set(d["m"]) for d in documents)) if documents else set()
    for key in keys:
        values = [d["m"][key] for d in documents]
        first = values[0]
        if isinstance(first, list) and len(first) == 3:
            result.values[key] = [sum(column) for column in zip(*values, strict=True)]
        elif isinstance(first, int):
            result.values[key] = sum(values)
        elif isinstance(first, list) and len(first) == 4:
            merged = first
            for v in values[1:]:
                merged = merge_minmax(merged, v)
            result.values[key] = merged
        elif isinstance(first, list) and len(first) == 2:
            # Distinct counts of two imports cannot be added (their keys may overlap): only one import may
            # carry keys for the value to stand.
            carrying = [v for v in values if v[0]]
            if len(carrying) <= 1:
                result.values[key] = carrying[0] if carrying else [0, 0]
    return result
