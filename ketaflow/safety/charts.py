"""Server-rendered SVG charts of lab values over time (no JavaScript, no third-party code).

Each analyte gets a small chart of its values as multiples of the laboratory's upper limit
of normal (so results from labs with different ranges line up), with the ULN (1×) and the
"marked" multiple drawn as reference lines. Only numbers and escaped text go into the SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 520, 160
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28


@dataclass(frozen=True)
class Point:
    on: date
    value: float
    upper: float
    unit: str

    @property
    def times_uln(self) -> float:
        return self.value / self.upper


def lab_chart(title: str, points: Sequence[Point], marked_x_uln: float) -> SafeString:
    """An SVG line chart of value ÷ ULN over time; empty text when there is nothing to draw."""
    if not points:
        return mark_safe("")
    pts = sorted(points, key=lambda p: p.on)
    y_max = max(marked_x_uln * 1.15, *(p.times_uln * 1.1 for p in pts), 1.5)
    first, last = pts[0].on, pts[-1].on
    span = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(d: date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (d - first).days / span

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / y_max)

    parts = [
        f'<svg class="lab-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)} over time, as multiples of the upper limit of normal">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#8a94a6" stroke-width="1"/>',
    ]
    for level, label, colour in (
        (1.0, "ULN", "#b7791f"),
        (marked_x_uln, f"{marked_x_uln:g}×", "#c53030"),
    ):
        parts.append(
            f'<line x1="{LEFT}" y1="{y(level):.1f}" x2="{WIDTH - RIGHT}" y2="{y(level):.1f}" '
            f'stroke="{colour}" stroke-dasharray="4 3" stroke-width="1"/>'
            f'<text x="{LEFT - 4}" y="{y(level) + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{colour}">{escape(label)}</text>'
        )
    line = " ".join(f"{x(p.on):.1f},{y(p.times_uln):.1f}" for p in pts)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#2b6cb0" stroke-width="2"/>')
    for p in pts:
        colour = (
            "#c53030"
            if p.times_uln >= marked_x_uln
            else "#b7791f"
            if p.times_uln > 1
            else "#2b6cb0"
        )
        parts.append(
            f'<circle cx="{x(p.on):.1f}" cy="{y(p.times_uln):.1f}" r="4" fill="{colour}">'
            f"<title>{p.on:%d %b %Y}: {p.value:g} {escape(p.unit)} "
            f"({p.times_uln:.1f}× ULN {p.upper:g})</title></circle>"
        )
    labels = [(first, "start")] if first == last else [(first, "start"), (last, "end")]
    for d, anchor in labels:
        parts.append(
            f'<text x="{x(d):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="10" '
            f'fill="#4a5568">{d:%d %b %Y}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # numbers and escaped text only
