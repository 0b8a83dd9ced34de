"""During an infusion, the order's planned course and the course of what was delivered so far
come out on one time axis: they agree while the pump runs as ordered, part after a pause,
and the delivered one gives nothing after now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ketaflow.clinical.administration import Event, EventKind, validate_events
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk import MODELS, plan_and_record

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
K = EventKind
KAMP = MODELS["kamp"]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_midway_through_an_infusion_run_as_ordered_both_courses_agree_so_far():
    # 35 mg over 40 min = 0.875 mg/min; now 20 min in.
    record = validate_events([Event(at(0), K.START, mg_per_min=0.875)])
    p = plan_and_record(KAMP, 70, ordered_mg=35, ordered_minutes=40, record=record, now=at(20))
    assert p.planned_mg == pytest.approx(35)
    assert p.delivered_mg == pytest.approx(17.5)
    assert p.now_min == pytest.approx(20)
    assert np.array_equal(p.planned.times_min, p.delivered.times_min)
    upto = p.planned.times_min <= 20
    assert np.allclose(
        p.planned.concentration_ng_per_ml[upto], p.delivered.concentration_ng_per_ml[upto]
    )
    assert p.at_now(p.delivered) == pytest.approx(p.at_now(p.planned))
    # After now the plan keeps rising to its end at 40 min; what was delivered falls.
    planned_peak, planned_peak_min = p.peak(p.planned)
    delivered_peak, delivered_peak_min = p.peak(p.delivered)
    assert planned_peak_min == pytest.approx(40)
    assert delivered_peak_min == pytest.approx(20)
    assert delivered_peak < planned_peak
    assert p.planned.times_min[-1] == 40 + 120


def test_after_a_pause_the_delivered_course_runs_below_the_plan():
    record = validate_events([Event(at(0), K.START, mg_per_min=0.875), Event(at(10), K.PAUSE)])
    p = plan_and_record(KAMP, 70, ordered_mg=35, ordered_minutes=40, record=record, now=at(18))
    assert p.delivered_mg == pytest.approx(8.75)
    assert p.at_now(p.delivered) < p.at_now(p.planned)


def test_nothing_given_yet_is_refused_in_words():
    with pytest.raises(ClinicalInputError, match="nothing given yet"):
        plan_and_record(
            KAMP, 70, ordered_mg=35, ordered_minutes=40, record=validate_events([]), now=at(0)
        )
