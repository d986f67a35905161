"""Charts that tell the truth: failing values drawn and labelled however few, counts from the checks,
no histogram of a key, axis labels written in full."""

from __future__ import annotations

from wap_notebook.engine.profiles import Bar, ColumnProfile
from wap_notebook.notebook import charts


def column(kind: str, bars: tuple[Bar, ...], *, checks=("accepted_values(carrier)",), failing=2, distinct=5,
           new_rows=25_002, sampled=False, bounds=None) -> ColumnProfile:
    return ColumnProfile("flights", "carrier", kind, tuple(checks), bars, new_rows, 0, False, 230_000, 0, sampled,
                         bounds, failing, distinct)


def test_a_failing_category_among_thousands_is_labelled_with_its_count():
    bars = (Bar("AA", 12_000, 0, 100_000), Bar("UA", 9_000, 0, 90_000), Bar("ZZ", 2, 2, 0),
            Bar("(other)", 4_000, 0, 40_000))
    svg = charts.render_svg(charts.column_spec(column("categorical", bars)))
    assert ">ZZ</text>" in svg and "2 failing</text>" in svg


def test_a_thin_failing_bin_is_labelled_and_the_subtitle_has_the_checks_count():
    bars = tuple(Bar(f"{i}", 1_000, 3 if i == 5 else 0, 900, start=i * 100.0, end=(i + 1) * 100.0)
                 for i in range(20))
    spec = charts.column_spec(column("numeric", bars, checks=("between(dep_delay)",), failing=3, sampled=True,
                                     bounds=(0, 2000)), exact_failing=7)
    svg = charts.render_svg(spec)
    assert ">3</text>" in svg  # the count above the bin that holds failing rows
    assert "7 failing" in svg and "drawn from a sample" in svg  # the checks' count, not the sample's


def test_keys_are_not_charted():
    bars = tuple(Bar(f"{i}", 1_250, 0, 0, start=i * 1000.0, end=(i + 1) * 1000.0) for i in range(20))
    key = column("numeric", bars, checks=("unique(flight_id)", "not_null(flight_id, carrier)"), failing=0,
                 distinct=25_002)
    assert key.is_key and charts.column_spec(key) is None
    not_key = column("numeric", bars, checks=("between(dep_delay)",), failing=0, distinct=25_002)
    assert charts.column_spec(not_key) is not None


def test_axis_labels_are_written_in_full_and_ticks_are_round():
    assert charts.number_format(1_500) == ",~r" and charts.number_format(3e6) == "~s"
    assert charts.nice_ticks(8, 505) == [100, 200, 300, 400, 500]
    bars = tuple(Bar(f"{i}", 100, 0, 0, start=i * 75.0, end=(i + 1) * 75.0) for i in range(20))
    bars += (Bar("> 1,500", 3, 3, 0, start=1_600.0, end=1_675.0, edge="above"),)
    svg = charts.render_svg(charts.column_spec(column("numeric", bars, checks=("between(x)",), bounds=(0, 1_500))))
    assert "1,500" in svg and "1.5k" not in svg and ">0k<" not in svg
