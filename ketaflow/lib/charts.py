"""Charts of predicted curves and percentile bands (Matplotlib, Agg backend, no GUI).

Shared by the PK explorer page (inline SVG) and `ketaflow pk plot` (SVG or PNG file).
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from ketaflow.clinical.pk import Curve, PlanAndRecord, PopulationSummary

ANCHOR_NG_PER_ML = 185.0  # venous level at the end of 0.5 mg/kg over 40 min (Zanos 2018 table)


def _figure() -> Figure:
    fig = Figure(figsize=(7.5, 3.8), dpi=100)
    fig.set_layout_engine("tight")
    return fig


def curve_figure(curve: Curve) -> Figure:
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(curve.times_min, curve.concentration_ng_per_ml, color="#1f5f8b", label=curve.model.drug)
    if curve.metabolite_ng_per_ml is not None:
        ax.plot(
            curve.times_min,
            curve.metabolite_ng_per_ml,
            color="#b35c00",
            linestyle="--",
            label=f"{curve.metabolite} (apparent)",
        )
    _finish(ax, f"{curve.model.name}, {curve.weight_kg:g} kg: typical patient")
    return fig


#: The two series of the chair's chart, as its legend and text summary name them.
PLANNED_LABEL = "Planned (the order)"
DELIVERED_LABEL = "Delivered so far"


def plan_and_record_figure(p: PlanAndRecord) -> Figure:
    """The order's planned course (dashed) beside what was delivered so far (solid), with now."""
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(p.planned.times_min, p.planned.concentration_ng_per_ml, color="#6b7280",
            linestyle="--", label=f"{PLANNED_LABEL}: {p.planned_mg:.1f} mg over "
            f"{p.ordered_minutes:g} min")  # fmt: skip
    ax.plot(p.delivered.times_min, p.delivered.concentration_ng_per_ml, color="#1f5f8b",
            label=f"{DELIVERED_LABEL}: {p.delivered_mg:.1f} mg")  # fmt: skip
    ax.axvline(p.now_min, color="#b35c00", linewidth=0.8, label="now")
    _finish(ax, f"{p.planned.model.name}, {p.planned.weight_kg:g} kg: typical patient")
    return fig


def plan_and_record_summary(p: PlanAndRecord) -> str:
    """The chart in words, for screen readers and for anyone who cannot read the lines."""
    planned_peak, planned_at = p.peak(p.planned)
    now_delivered, now_planned = p.at_now(p.delivered), p.at_now(p.planned)
    delivered_peak, delivered_at = p.peak(p.delivered)
    return (
        f"{PLANNED_LABEL}: {p.planned_mg:.1f} mg over {p.ordered_minutes:g} min, predicted "
        f"peak {planned_peak:.0f} ng/mL at {planned_at:.0f} min. "
        f"{DELIVERED_LABEL}: {p.delivered_mg:.1f} mg by {p.now_min:.0f} min after the start; "
        f"predicted {now_delivered:.0f} ng/mL now, against {now_planned:.0f} ng/mL planned "
        f"at this time; with nothing more given, its peak is {delivered_peak:.0f} ng/mL at "
        f"{delivered_at:.0f} min."
    )


def band_figure(summary: PopulationSummary) -> Figure:
    fig = _figure()
    ax = fig.add_subplot()
    t = summary.times_min
    ax.fill_between(t, summary.p5, summary.p95, color="#1f5f8b", alpha=0.25, label="5th–95th")
    ax.plot(t, summary.p50, color="#1f5f8b", label="median")
    if summary.metabolite_p50 is not None:
        ax.plot(t, summary.metabolite_p50, color="#b35c00", linestyle="--",
                label=f"{summary.model.metabolite} median")  # fmt: skip
    _finish(ax, f"{summary.model.name}: {summary.n:,} virtual patients")
    return fig


def _finish(ax: object, title: str) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ax.axhline(ANCHOR_NG_PER_ML, color="#777777", linewidth=0.8, linestyle=":",
               label="~185 ng/mL venous, end of 0.5 mg/kg/40 min")  # fmt: skip
    ax.set_xlabel("time (min)")
    ax.set_ylabel("plasma concentration (ng/mL)")
    ax.set_title(title, fontsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")


def render(fig: Figure, fmt: str = "svg") -> bytes:
    """The figure as SVG or PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def inline_svg(fig: Figure) -> str:
    """SVG markup for embedding in a page (the XML prologue and DOCTYPE dropped), styled with
    presentation attributes only (`without_inline_styles`), so the pages' Content-Security-
    Policy needs no 'unsafe-inline' for styles."""
    text = render(fig, "svg").decode("utf-8")
    return without_inline_styles(text[text.index("<svg") :])


#: SVG presentation attributes Matplotlib writes as `style` declarations. A presentation
#: attribute is not a style sheet, so the CSP's style-src does not govern it.
PRESENTATION_ATTRIBUTES = frozenset(
    {
        "clip-path", "clip-rule", "color", "display", "fill", "fill-opacity", "fill-rule",
        "font-family", "font-size", "font-style", "font-weight", "opacity", "stroke",
        "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin",
        "stroke-miterlimit", "stroke-opacity", "stroke-width", "text-anchor", "visibility",
    }
)  # fmt: skip
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_STYLE_SHEET = re.compile(r"<style[^>]*>\s*\*\s*\{([^}]*)\}\s*</style>")


def _declarations(css: str) -> str:
    pairs = (d.split(":", 1) for d in css.split(";") if ":" in d)
    return "".join(
        f' {name.strip()}="{value.strip()}"'
        for name, value in pairs
        if name.strip() in PRESENTATION_ATTRIBUTES
    )


def without_inline_styles(svg: str) -> str:
    """Matplotlib's `style="fill: #1f5f8b; ..."` as `fill="#1f5f8b" ...`, and its one style
    sheet (`*{stroke-linejoin: round; stroke-linecap: butt}`) as inherited attributes of the
    root element: the same drawing. A declaration that is no presentation attribute is
    dropped (Matplotlib writes none that draw)."""
    sheet = _STYLE_SHEET.search(svg)
    svg = _STYLE_SHEET.sub("", svg)
    svg = _STYLE_ATTR.sub(lambda m: _declarations(m.group(1)), svg)
    if sheet is not None:
        svg = svg.replace("<svg", "<svg" + _declarations(sheet.group(1)), 1)
    if "<style" in svg or " style=" in svg:
        raise ValueError("the chart still carries a style sheet or style attribute")
    return svg
