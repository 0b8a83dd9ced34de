"""Charts drawn inline carry SVG presentation attributes, never CSS the CSP would refuse (#15)."""

from __future__ import annotations

import re

import pytest
from matplotlib.figure import Figure

from ketaflow.lib.charts import inline_svg, without_inline_styles


def _figure() -> Figure:
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([1, 2, 3], [2, 3, 1], linestyle="--", color="#b35c00")
    ax.fill_between([1, 2, 3], [0, 1, 0], [1, 2, 1], alpha=0.3)
    ax.legend(["a"])
    return fig


def test_an_inline_chart_has_no_style_sheet_nor_style_attribute_but_keeps_its_drawing() -> None:
    svg = inline_svg(_figure())
    assert "<style" not in svg and " style=" not in svg
    assert 'stroke="#b35c00"' in svg  # the line's colour
    assert re.search(r'stroke-dasharray="[\d.,\s]+"', svg)  # dashed
    assert re.search(r'fill-opacity="0\.3"', svg)  # the band's transparency
    # Matplotlib's one style sheet became inherited attributes of the root element.
    assert svg.startswith('<svg stroke-linejoin="round" stroke-linecap="butt"')


def test_declarations_that_are_not_presentation_attributes_are_dropped() -> None:
    out = without_inline_styles('<svg><path style="fill: red; behavior: url(x)"/></svg>')
    assert out == '<svg><path fill="red"/></svg>'


def test_a_style_sheet_it_cannot_translate_is_refused_rather_than_shipped() -> None:
    with pytest.raises(ValueError):
        without_inline_styles("<svg><style>path{fill:red}</style></svg>")
