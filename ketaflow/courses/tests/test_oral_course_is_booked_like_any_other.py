"""A course on the built-in oral protocol is proposed and booked like any other: the published
titration steps 50 -> 75 -> 100 mg every 3 days (S23), then the check-in on the day."""

from __future__ import annotations

import itertools
from datetime import time, timedelta
from typing import Any

import pytest

from ketaflow.courses.derive.planning import propose_series
from ketaflow.courses.services import book_series, start_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def oral_course(prescriber: Any, patient: Any, protocols: dict[str, Any], monday: Any) -> Any:
    return start_course(prescriber, patient, protocols["oral-racemic-titration"], started_on=monday)


def test_the_oral_titration_is_proposed_every_3_days_in_mg(oral_course: Any, monday: Any) -> None:
    sessions = propose_series(oral_course).sessions[:3]
    assert [s.dose.label for s in sessions] == ["50 mg", "75 mg", "100 mg"]
    gaps = [(b.on - a.on).days for a, b in itertools.pairwise(sessions)]
    assert all(gap >= 3 for gap in gaps)  # every 3 days, later when the clinic is closed


def test_the_oral_series_is_booked_and_checked_in_on_the_day(
    clock: Any, front_desk: Any, nurse: Any, oral_course: Any, chairs: Any
) -> None:
    from ketaflow.treatments.services import check_in

    result = book_series(front_desk, oral_course, at=time(9))
    assert len(result.booked) >= 3
    first = result.booked[0]
    clock(first.starts_at + timedelta(minutes=5))
    session = check_in(nurse, first)
    assert session.route == "oral" and session.session_number == 1
