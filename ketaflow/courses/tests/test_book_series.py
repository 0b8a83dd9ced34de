"""Booking the whole proposed series assigns free chairs, else the next slot, else reports."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from ketaflow.courses.derive.planning import propose_series
from ketaflow.courses.models import Appointment
from ketaflow.courses.services import book_appointment, book_series, close_day

pytestmark = pytest.mark.django_db


def test_the_iv_series_is_six_sessions_mon_wed_fri(course, chairs, monday):
    sessions = propose_series(course).sessions
    assert [s.on for s in sessions] == [monday + timedelta(d) for d in (0, 2, 4, 7, 9, 11)]
    assert {s.dose.label for s in sessions} == {"0.5 mg/kg"}


def test_the_proposal_skips_a_closed_day(clinic_admin, course, chairs, monday):
    close_day(clinic_admin, on=monday + timedelta(2), reason="Holiday")
    days = [s.on for s in propose_series(course).sessions]
    assert monday + timedelta(2) not in days
    assert days[1] == monday + timedelta(3)


def test_the_whole_series_is_booked_into_the_first_free_chair(front_desk, course, chairs, monday):
    result = book_series(front_desk, course, at=time(9))
    assert len(result.booked) == 6 and not result.unbooked
    assert [a.session_number for a in result.booked] == [1, 2, 3, 4, 5, 6]
    assert {a.chair for a in result.booked} == {chairs[0]}
    assert propose_series(course).sessions == ()


def test_a_busy_preferred_time_falls_back_to_another_chair_then_a_later_slot(
    front_desk, course, second_course, chairs, monday, at
):
    from ketaflow.courses.services import add_chair  # noqa: F401

    book_appointment(front_desk, second_course, chair=chairs[0], starts_at=at(monday, 9))
    result = book_series(front_desk, course, at=time(9))
    first = result.booked[0]
    assert first.chair == chairs[1]
    assert first.starts_at == at(monday, 9)


def test_a_day_with_no_free_chair_is_reported_not_booked(
    clinic_admin, front_desk, prescriber, course, second_course, chairs, monday, at
):
    from ketaflow.courses.services import set_opening_hours, update_chair

    update_chair(clinic_admin, chairs[1], active=False)
    set_opening_hours(clinic_admin, opens_at=time(9), closes_at=time(11, 10))
    book_appointment(front_desk, second_course, chair=chairs[0], starts_at=at(monday, 9))
    result = book_series(front_desk, course, at=time(9))
    assert [u.session.on for u in result.unbooked] == [monday]
    assert "No chair is free" in result.unbooked[0].reason
    assert len(result.booked) == 5
    assert Appointment.objects.filter(course=course).count() == 5
