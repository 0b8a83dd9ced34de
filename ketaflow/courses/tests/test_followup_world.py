"""A follow-up world: an induction course with sessions given in the past and GAD-7 scores.

The helpers here are imported by the other `test_followup_*` files; the one test checks
that the world they build is what they say (past Mon-Wed-Fri sessions, scores as totals).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.utils import timezone


def past_sessions(count: int, weeks_ago: int = 6) -> list[date]:
    """`count` Mon-Wed-Fri days starting on a Monday `weeks_ago` weeks back."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7 * weeks_ago)
    days: list[date] = []
    week = 0
    while len(days) < count:
        for offset in (0, 2, 4):
            if len(days) < count:
                days.append(monday + timedelta(days=7 * week + offset))
        week += 1
    return days


def answers_for(total: int, items: int = 7, top: int = 3) -> list[int]:
    """Item answers (0..top) that add up to `total`."""
    assert 0 <= total <= items * top
    answers = []
    left = total
    for _ in range(items):
        answer = min(top, left)
        answers.append(answer)
        left -= answer
    return answers


def induction_course(prescriber: Any, patient: Any, protocol: Any, first: date) -> Any:
    """A course started on `first` and moved to induction (as a prescriber would)."""
    from ketaflow.courses.services import change_phase, start_course

    course = start_course(prescriber, patient, protocol, started_on=first)
    return change_phase(prescriber, course, "induction", reason="Eligible and consented")


def give(course: Any, chair: Any, days: Sequence[date], by: Any, *, hour: int = 9) -> list[Any]:
    """Completed appointments on `days` (made directly: booking refuses the past)."""
    from ketaflow.courses.models import Appointment, AppointmentStatus
    from ketaflow.lib.clock import at_clinic

    clinic = course.patient.clinic
    made = []
    for n, day in enumerate(days, start=1):
        start = at_clinic(day, time(hour), clinic)
        made.append(
            Appointment.objects.create(
                course=course,
                chair=chair,
                starts_at=start,
                ends_at=start + timedelta(minutes=130),
                session_number=n,
                phase="induction",
                status=AppointmentStatus.COMPLETED,
                created_by=by,
            )
        )
    return made


def gad7(
    actor: Any,
    patient: Any,
    day: date,
    total: int,
    *,
    context: str = "pre_session",
    hour: int = 8,
) -> Any:
    """A GAD-7 with this total, recorded at `hour`:00 clinic time on `day`."""
    from ketaflow.lib.clock import at_clinic
    from ketaflow.questionnaires.services import record_response

    return record_response(
        actor,
        patient,
        "gad7",
        answers=answers_for(total),
        context=context,
        administered_at=at_clinic(day, time(hour), patient.clinic),
        rater="self",
    )


def responder_world(prescriber: Any, nurse: Any, patient: Any, protocol: Any, chair: Any) -> Any:
    """Six IV infusions; GAD-7 18 → 6 (67% better): a responder at the end of induction."""
    days = past_sessions(6)
    course = induction_course(prescriber, patient, protocol, days[0])
    give(course, chair, days, prescriber)
    for day, total in zip(days, (18, 15, 12, 9, 8, 7), strict=True):
        gad7(nurse, patient, day, total)
    gad7(nurse, patient, days[-1] + timedelta(days=1), 6, context="follow_up", hour=10)
    return course


def non_responder_world(
    prescriber: Any, nurse: Any, patient: Any, protocol: Any, chair: Any
) -> Any:
    """Four IV infusions; GAD-7 18 → 16 the day after session 4 (11% better: S17 signal)."""
    days = past_sessions(4)
    course = induction_course(prescriber, patient, protocol, days[0])
    give(course, chair, days, prescriber)
    for day, total in zip(days, (18, 18, 17, 17), strict=True):
        gad7(nurse, patient, day, total)
    gad7(nurse, patient, days[-1] + timedelta(days=1), 16, context="follow_up", hour=10)
    return course


@pytest.mark.django_db
def test_the_world_gives_past_sessions_and_scores_that_add_up(
    prescriber, nurse, patient, protocols, chairs
):
    course = responder_world(prescriber, nurse, patient, protocols["iv-racemic"], chairs[0])
    days = past_sessions(6)
    assert [d.weekday() for d in days] == [0, 2, 4, 0, 2, 4]
    assert days[-1] < timezone.localdate()
    assert course.phase == "induction"
    assert sum(answers_for(18)) == 18 and max(answers_for(18)) <= 3
