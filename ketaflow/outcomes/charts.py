"""Outcome charts drawn on the server (Matplotlib, Agg), as the PK curve is: inline SVG for
pages (`pk_explorer.charts.inline_svg`) and PNG for the PDF report. No JavaScript.

- trajectory: one instrument's scores over time, severity bands shaded, the response and
  remission thresholds as lines, sessions as ticks along the bottom, state changes marked;
- Kaplan-Meier: a step curve with its 95% band (de-identified curves stop where fewer than
  five remain at risk);
- histogram: bars of the dose distribution (suppressed bins drawn hatched, no height).
"""

from __future__ import annotations

from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")

from matplotlib import dates as mdates
from matplotlib.figure import Figure

from ketaflow.lib.charts import inline_svg, render
from ketaflow.outcomes.dashboard import Curve, Histogram
from ketaflow.outcomes.selectors import Trajectory

_BAND_COLOURS = ("#e8f5e9", "#fffde7", "#fff3e0", "#fde7e7", "#f8d7da", "#f1c6c9")
_STATE_COLOURS = {
    "responder": "#15803d",
    "remitter": "#166534",
    "non_responder": "#b91c1c",
    "relapsed": "#b91c1c",
}


def _figure(height: float = 3.6) -> Figure:
    fig = Figure(figsize=(7.5, height), dpi=100)
    fig.set_layout_engine("tight")
    return fig


def _x(days: list[date]) -> list[float]:
    return [float(mdates.date2num(d)) for d in days]


def trajectory_figure(t: Trajectory) -> Figure:
    fig = _figure()
    ax = fig.add_subplot()
    found = t.followup
    points = [(s.on, float(s.value)) for s in found.scores]
    top = float(t.maximum) if t.maximum else max([v for _, v in points] + [1.0])
    if t.bands is not None:
        for i, band in enumerate(t.bands.bands):
            ax.axhspan(
                band.low - 0.5 if i else 0,
                band.high + 0.5,
                color=_BAND_COLOURS[i % 6],
                zorder=0,
                label=None,
            )
            ax.text(
                1.005,
                (band.low + band.high) / 2 / top,
                band.label,
                fontsize=7,
                transform=ax.transAxes,
                va="center",
                color="#555555",
            )
    if points:
        ax.plot(
            _x([d for d, _ in points]),
            [v for _, v in points],
            marker="o",
            color="#1f5f8b",
            label=t.name,
            zorder=3,
        )
    if t.response_at_or_below is not None:
        ax.axhline(
            t.response_at_or_below,
            color="#15803d",
            linestyle="--",
            linewidth=1,
            label=f"response (≤ {t.response_at_or_below:g})",
        )
    if t.remission_at_or_below is not None:
        ax.axhline(
            t.remission_at_or_below,
            color="#166534",
            linestyle=":",
            linewidth=1.2,
            label=f"remission (≤ {t.remission_at_or_below})",
        )
    sessions = list(found.sessions)
    if sessions:
        ax.plot(
            _x(sessions),
            [top * 0.02] * len(sessions),
            linestyle="none",
            marker="|",
            markersize=12,
            color="#7c3aed",
            label="session",
            zorder=4,
        )
    if found.report is not None:
        for change in found.report.states[1:]:
            colour = _STATE_COLOURS.get(change.state.value)
            if colour:
                at = _x([change.began])[0]
                ax.axvline(at, color=colour, linewidth=0.8, alpha=0.7)
                ax.text(
                    at,
                    top * 0.97,
                    change.state.value.replace("_", "-"),
                    rotation=90,
                    fontsize=7,
                    va="top",
                    ha="right",
                    color=colour,
                )
    days: list[date] = [d for d, _ in points] + sessions
    if days:
        lo, hi = _x([min(days) - timedelta(days=2), max(days) + timedelta(days=2)])
        ax.set_xlim(lo, hi)
    ax.xaxis_date()
    ax.set_ylim(0, top)
    ax.set_ylabel(f"{t.name} total (higher is worse)")
    ax.set_title(f"{t.name}: scores, sessions and thresholds", fontsize=10)
    ax.grid(alpha=0.25)
    ax.legend(fontsize=7, loc="upper right")
    fig.autofmt_xdate()
    return fig


def km_figure(
    curve: Curve, *, incidence: bool = False, xlabel: str = "days", label: str | None = None
) -> Figure:
    """The curve (or 1 - S, e.g. "share responded") with its band, as steps.

    `label` names what is drawn: with `incidence` the line is 1 - S (e.g. "responded"), so the
    curve's own label (what S counts, e.g. "not yet responded") would read backwards.
    """
    fig = _figure(3.2)
    ax = fig.add_subplot()
    rows = curve.visible_steps
    if rows:
        days = [r[0] for r in rows]
        pick = (lambda v: 1 - v) if incidence else (lambda v: v)
        surv = [pick(r[2]) for r in rows]
        lo = [pick(r[3 if not incidence else 4]) for r in rows]
        hi = [pick(r[4 if not incidence else 3]) for r in rows]
        ax.fill_between(days, lo, hi, step="post", color="#1f5f8b", alpha=0.2, label="95% CI")
        ax.step(days, surv, where="post", color="#1f5f8b", label=label or curve.label)
    else:
        ax.text(
            0.5,
            0.5,
            "no data to show (or fewer than 5 at risk)",
            ha="center",
            transform=ax.transAxes,
            color="#555555",
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("proportion")
    ax.grid(alpha=0.3)
    if rows:
        ax.legend(fontsize=8, loc="best")
    return fig


def histogram_figure(h: Histogram) -> Figure:
    fig = _figure(2.8)
    ax = fig.add_subplot()
    for b in h.bins:
        hidden = h.deidentified and 0 < b.count < 5
        ax.bar(
            b.low,
            0 if hidden else b.count,
            width=b.high - b.low,
            align="edge",
            color="#1f5f8b",
            edgecolor="white",
        )
        if hidden:
            ax.text((b.low + b.high) / 2, 0, "<5", ha="center", va="bottom", fontsize=7)
    ax.set_xlabel(h.unit)
    ax.set_ylabel("courses")
    ax.set_title(h.label, fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    return fig


def svg(fig: Figure) -> str:
    return inline_svg(fig)


def png(fig: Figure) -> bytes:
    return render(fig, "png")


__all__ = ["histogram_figure", "km_figure", "png", "svg", "trajectory_figure"]
