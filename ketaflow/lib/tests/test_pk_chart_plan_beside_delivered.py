"""The chair's PK chart during an infusion: two labelled series (the order's plan and what was
delivered so far) and the same in words for screen readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ketaflow.clinical.administration import Event, EventKind, validate_events
from ketaflow.clinical.pk import MODELS, plan_and_record
from ketaflow.lib.charts import (
    DELIVERED_LABEL,
    PLANNED_LABEL,
    plan_and_record_figure,
    plan_and_record_summary,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _midway() -> object:
    record = validate_events([Event(T0, EventKind.START, mg_per_min=0.875)])
    return plan_and_record(
        MODELS["kamp"],
        70,
        ordered_mg=35,
        ordered_minutes=40,
        record=record,
        now=T0 + timedelta(minutes=20),
    )


def test_the_figure_draws_the_plan_and_the_delivered_course_with_their_labels():
    fig = plan_and_record_figure(_midway())  # type: ignore[arg-type]
    (ax,) = fig.axes
    labels = [line.get_label() for line in ax.get_lines()]
    assert any(
        label.startswith(PLANNED_LABEL) and "35.0 mg over 40 min" in label for label in labels
    )
    assert any(label.startswith(DELIVERED_LABEL) and "17.5 mg" in label for label in labels)
    assert "now" in labels
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith(PLANNED_LABEL) for t in legend)
    assert any(t.startswith(DELIVERED_LABEL) for t in legend)


def test_the_summary_says_both_courses_in_words():
    text = plan_and_record_summary(_midway())  # type: ignore[arg-type]
    assert text.startswith("Planned (the order): 35.0 mg over 40 min, predicted peak ")
    assert "at 40 min" in text
    assert "Delivered so far: 17.5 mg by 20 min after the start" in text
    assert "ng/mL now, against " in text and "planned at this time" in text
