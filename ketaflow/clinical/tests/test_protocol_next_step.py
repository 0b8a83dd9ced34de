"""What the protocol proposes next: the next date, phase changes and reviews."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.outcomes import OutcomeState
from ketaflow.clinical.protocols import (
    ClinicCalendar,
    NextAction,
    ReviewReason,
    esketamine_label,
    iv_induction,
    next_step,
    sc_ascending_anxiety,
)

MONDAY = date(2025, 1, 6)
WEEKDAYS = ClinicCalendar()
MWF = [MONDAY + timedelta(days=n) for n in (0, 2, 4, 7, 9, 11)]


def _reasons(step: object) -> list[ReviewReason]:
    return [r.reason for r in step.reviews]  # type: ignore[attr-defined]


def test_the_first_session_is_proposed_on_the_next_clinic_day() -> None:
    step = next_step(iv_induction(), WEEKDAYS, done=[], as_of=date(2025, 1, 4))
    assert step.action is NextAction.SCHEDULE
    assert step.session is not None
    assert (step.session.number, step.session.on) == (1, MONDAY)
    assert step.phase_change is None
    assert step.sources


def test_mid_series_the_next_session_follows_the_rhythm() -> None:
    step = next_step(iv_induction(), WEEKDAYS, done=MWF[:2], as_of=MWF[1])
    assert step.action is NextAction.SCHEDULE
    assert step.session is not None and step.session.on == MWF[2]


def test_after_session_four_the_protocol_asks_for_a_non_response_review() -> None:
    step = next_step(
        iv_induction(), WEEKDAYS, done=MWF[:4], as_of=MWF[3], state=OutcomeState.IMPROVING
    )
    assert step.action is NextAction.REVIEW
    assert _reasons(step) == [ReviewReason.REVIEW_POINT]
    assert "improving" in step.reviews[0].message
    assert step.session is not None and step.session.number == 5
    assert "S17" in {s.key for s in step.reviews[0].sources}


def test_the_non_response_signal_adds_its_own_review_reason() -> None:
    step = next_step(
        iv_induction(), WEEKDAYS, done=MWF[:4], as_of=MWF[3], state=OutcomeState.NON_RESPONDER
    )
    assert _reasons(step) == [ReviewReason.NON_RESPONSE, ReviewReason.REVIEW_POINT]


def test_entering_maintenance_without_a_response_needs_a_review() -> None:
    step = next_step(
        iv_induction(), WEEKDAYS, done=MWF, as_of=MWF[-1], state=OutcomeState.IMPROVING
    )
    assert step.phase_change == ("induction", "taper_weekly")
    assert step.action is NextAction.REVIEW
    assert _reasons(step) == [ReviewReason.RESPONSE_REQUIRED]
    assert step.session is not None and step.session.on == MWF[-1] + timedelta(days=7)


def test_a_responder_moves_from_induction_to_maintenance_without_review() -> None:
    step = next_step(iv_induction(), WEEKDAYS, done=MWF, as_of=MWF[-1], state=OutcomeState.REMITTER)
    assert step.action is NextAction.SCHEDULE
    assert step.phase_change == ("induction", "taper_weekly")


def test_entering_maintenance_with_no_outcome_recorded_needs_a_review() -> None:
    done = [MONDAY + timedelta(days=7 * i) for i in range(3)]
    step = next_step(sc_ascending_anxiety(), WEEKDAYS, done=done, as_of=done[-1])
    assert _reasons(step) == [ReviewReason.REVIEW_POINT, ReviewReason.RESPONSE_REQUIRED]
    assert "no outcome recorded" in step.reviews[0].message


def test_a_confirmed_relapse_asks_for_a_review() -> None:
    done = [MONDAY + timedelta(days=7 * i) for i in range(6)]
    step = next_step(
        sc_ascending_anxiety(), WEEKDAYS, done=done, as_of=done[-1], state=OutcomeState.RELAPSED
    )
    assert _reasons(step) == [ReviewReason.RELAPSE]
    assert "S19" in {s.key for s in step.reviews[0].sources}


def test_esketamine_reviews_benefit_at_the_end_of_induction() -> None:
    done = [MONDAY + timedelta(days=n) for n in (0, 3, 7, 10, 14, 17, 21, 24)]
    step = next_step(
        esketamine_label(),
        WEEKDAYS,
        done=done,
        as_of=done[-1],
        state=OutcomeState.RESPONDER,
        age=50,
    )
    assert _reasons(step) == [ReviewReason.REVIEW_POINT]
    assert step.phase_change == ("induction", "weekly")
    assert step.session is not None and step.session.dose.amount == 56


def test_a_finished_series_is_complete_with_a_continuation_review() -> None:
    done = [MONDAY + timedelta(days=7 * i) for i in range(16)]
    step = next_step(sc_ascending_anxiety(), WEEKDAYS, done=done, as_of=done[-1])
    assert step.action is NextAction.SERIES_COMPLETE
    assert step.session is None
    assert _reasons(step) == [ReviewReason.SERIES_END]


def test_as_of_cannot_be_before_the_last_session_given() -> None:
    with pytest.raises(ClinicalInputError) as err:
        next_step(iv_induction(), WEEKDAYS, done=MWF[:2], as_of=MONDAY)
    assert err.value.field == "as_of"
