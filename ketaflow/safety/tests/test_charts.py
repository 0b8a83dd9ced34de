"""The lab chart is plain SVG built from numbers and escaped text."""

from __future__ import annotations

from datetime import date

from ketaflow.safety.charts import Point, lab_chart


def test_a_chart_draws_a_line_through_each_result_with_reference_lines() -> None:
    svg = lab_chart(
        "ALT",
        [Point(date(2026, 1, 1), 30, 40, "U/L"), Point(date(2026, 4, 1), 130, 40, "U/L")],
        3.0,
    )
    assert svg.startswith("<svg") and "<polyline" in svg
    assert svg.count("<circle") == 2
    assert "ULN" in svg and "3×" in svg
    assert "#c53030" in svg  # the marked value is drawn red


def test_nothing_to_draw_gives_empty_text_and_titles_are_escaped() -> None:
    assert lab_chart("ALT", [], 3.0) == ""
    svg = lab_chart("<b>", [Point(date(2026, 1, 1), 1, 40, "U/L")], 3.0)
    assert "<b>" not in svg and "&lt;b&gt;" in svg
