"""Bookings respect opening days, opening hours (the whole stay) and closed days."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError

from ketaflow.courses.services import book_appointment, close_day, reopen_day, set_opening_hours

pytestmark = pytest.mark.django_db


def test_a_saturday_is_refused_when_the_clinic_opens_on_weekdays(
    front_desk, course, chairs, monday, at
):
    with pytest.raises(ValidationError, match="closed on Saturdays"):
        book_appointment(
            front_desk, course, chair=chairs[0], starts_at=at(monday + timedelta(5), 9)
        )


def test_a_closed_day_is_refused_with_its_reason(
    clinic_admin, front_desk, course, chairs, monday, at
):
    close_day(clinic_admin, on=monday, reason="Staff training")
    with pytest.raises(ValidationError, match="Staff training"):
        book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))


def test_a_reopened_day_can_be_booked_again(clinic_admin, front_desk, course, chairs, monday, at):
    day = close_day(clinic_admin, on=monday, reason="Staff training")
    reopen_day(clinic_admin, day, "Training moved")
    assert book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))


def test_a_day_with_bookings_cannot_be_closed(clinic_admin, front_desk, course, chairs, monday, at):
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    with pytest.raises(ValidationError, match="1 appointment is booked"):
        close_day(clinic_admin, on=monday, reason="Flood")


def test_the_whole_stay_must_end_by_closing_time(front_desk, course, chairs, monday, at):
    # 08:00-18:00; 130 min in the chair, so 15:50 is the last start.
    with pytest.raises(ValidationError, match="between 08:00 and 15:50"):
        book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 16))
    assert book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 15, 50))


def test_nothing_starts_before_opening(front_desk, course, chairs, monday, at):
    with pytest.raises(ValidationError, match="must start between"):
        book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 7, 30))


def test_opening_hours_set_by_the_admin_apply(clinic_admin, front_desk, course, chairs, monday, at):
    set_opening_hours(clinic_admin, working_days=[1, 2, 3], opens_at=time(9), closes_at=time(17))
    with pytest.raises(ValidationError, match="closed on Mondays"):
        book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    tuesday = monday + timedelta(days=1)
    with pytest.raises(ValidationError, match="between 09:00 and 14:50"):
        book_appointment(front_desk, course, chair=chairs[0], starts_at=at(tuesday, 15))


def test_opening_hours_must_make_sense(clinic_admin):
    with pytest.raises(ValidationError) as caught:
        set_opening_hours(clinic_admin, working_days=[], opens_at=time(17), closes_at=time(9))
    assert set(caught.value.message_dict) == {"working_days", "closes_at"}


def test_a_turnover_setting_changes_capacity(
    clinic_admin, front_desk, course, second_course, chairs, monday, at
):
    set_opening_hours(clinic_admin, turnover_minutes=0)
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    assert book_appointment(
        front_desk, second_course, chair=chairs[0], starts_at=at(monday, 11, 10)
    )
