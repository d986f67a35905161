"""Differential test of the CSV reader: generated files with the hard parts (quoted and escaped quotes, stray
quotes inside unquoted values, newlines and CRLF inside and outside quoted values, commas, BOMs, empty values,
unicode, gzip), read with blocks small enough that every block boundary falls somewhere awkward. Each file
must read exactly as an independent reference reads it: pyarrow's whole-file reader with explicit options,
value for value; or be refused with a `SourceFormatError`. Never a third outcome.

A fast sample runs in `make test`; `make test-slow` runs thousands of files.
"""

from __future__ import annotations

import gzip
import io

import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wap_notebook.lakehouse.errors import SourceFormatError
from wap_notebook.lakehouse.sources import iter_batches, resolve

TEXT = st.lists(st.sampled_from(list('ab ,"\n\r\té€x0') + ["\r\n", "12\" pizza"]), max_size=30).map("".join)
PLAIN = st.text(alphabet=st.sampled_from(list('ab x0é"')), min_size=1, max_size=20)  # may hold a stray quote


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@st.composite
def cells(draw: st.DrawFn) -> tuple[str, str | None]:
    """(the text as written in the file, the value a CSV reader must give): an unquoted empty cell is null, a
    quoted one the empty string, and pyarrow's null words (NA, NULL, nan, ...) stay text, quoted or not."""
    kind = draw(st.sampled_from(["quoted", "plain", "empty", "quoted_empty", "null_word"]))
    if kind == "null_word":
        word = draw(st.sampled_from([w for w in pcsv.ConvertOptions().null_values if w]))
        return (_quoted(word) if draw(st.booleans()) else word), word
    if kind == "quoted":
        value = draw(TEXT)
        return _quoted(value), value
    if kind == "plain":
        value = draw(PLAIN)
        if value.startswith('"') or value != value.strip(" "):
            value = "x" + value.strip(" ") + "x"  # a quote starts a quoted value; keep the stray ones inside
        return value, value
    if kind == "quoted_empty":
        return '""', ""
    return "", None


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, str | None, str | None]]]:
    rows = draw(st.lists(st.tuples(cells(), cells()), min_size=1, max_size=120))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    bom = draw(st.booleans())
    lines = ["id,first,second"] + [f"{i},{a[0]},{b[0]}" for i, (a, b) in enumerate(rows)]
    ends_with_newline = draw(st.booleans())
    text = newline.join(lines) + (newline if ends_with_newline else "")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    expected = [(i, a[1], b[1]) for i, (a, b) in enumerate(rows)]
    (first_text, _), (last_text, _) = rows[-1]
    if not ends_with_newline and last_text == "" and first_text.startswith('"'):
        # pyarrow (whole-file and streaming readers alike) takes an empty last cell at the very end of a file
        # with no final newline as quoted when the cell before it was quoted (RELIABILITY.md, known limits).
        expected[-1] = (expected[-1][0], expected[-1][1], "")
    return data, expected


def _reference(data: bytes) -> pa.Table:
    """pyarrow's whole-file reader (not the streaming one), every value typed explicitly; only the unquoted
    empty cell is null (these files hold no null word in the integer column)."""
    return pcsv.read_csv(io.BytesIO(data), parse_options=pcsv.ParseOptions(newlines_in_values=True),
                         convert_options=pcsv.ConvertOptions(
                             column_types={"id": pa.int64(), "first": pa.string(), "second": pa.string()},
                             null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False))


TARGET = pa.schema([("id", pa.int64()), ("first", pa.string()), ("second", pa.string())])


def _check(tmp_path_factory: pytest.TempPathFactory, data: bytes, expected: list[tuple[int, str | None, str | None]],
           gz: bool) -> None:
    folder = tmp_path_factory.mktemp("csv")
    path = folder / ("f.csv.gz" if gz else "f.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    [file] = resolve(str(path))
    try:
        got = pa.Table.from_batches(list(iter_batches(file, TARGET)), schema=TARGET)
    except SourceFormatError:
        got = None
    reference = _reference(data)
    # The generator knows what each cell holds; the reference must agree with it too (else the generator lies).
    assert [tuple(r.values()) for r in reference.to_pylist()] == expected
    assert got is not None, "a valid file was refused"
    assert got.equals(reference), (got.to_pylist()[:5], reference.to_pylist()[:5])


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(csv_files(), st.booleans())
def test_generated_csv_reads_exactly_as_the_reference(tmp_path_factory, monkeypatch, file, gz):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "1024")  # many small blocks: boundaries inside quoted values
    _check(tmp_path_factory, *file, gz)


@pytest.mark.slow
@SLOW
@given(csv_files(), st.booleans())
def test_generated_csv_reads_exactly_as_the_reference_many(tmp_path_factory, monkeypatch, file, gz):
    monkeypatch.setenv("WAP_MAX_ROW_BYTES", "1024")
    _check(tmp_path_factory, *file, gz)
