"""Booking on the day the clocks change (Europe/London): a stay is its real minutes long and
the chair's next free start follows the real end, in spring (an hour lost at 01:00 GMT) and in
autumn (an hour repeated at 02:00 BST). Python adds a timedelta to a datetime in a zone by its
wall clock, so the service does its arithmetic in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ketaflow.courses.derive.planning import chair_time, course_protocol
from ketaflow.courses.services import book_appointment, set_opening_hours, start_course
from ketaflow.courses.services.booking import next_free_start
from ketaflow.lib.clock import at_clinic

pytestmark = pytest.mark.django_db

SPRING = date(2027, 3, 28)  # 01:00 GMT becomes 02:00 BST
AUTUMN = date(2027, 10, 31)  # 02:00 BST becomes 01:00 GMT
HELD = timedelta(minutes=30 + 40 + 60)  # IV: preparation + infusion + observation
TURNOVER = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("day", "starts_utc"),
    [
        (SPRING, datetime(2027, 3, 28, 0, 30, tzinfo=UTC)),  # 00:30 GMT
        (AUTUMN, datetime(2027, 10, 30, 23, 30, tzinfo=UTC)),  # 00:30 BST
    ],
    ids=["spring", "autumn"],
)
def test_a_stay_across_the_clock_change_is_its_real_length(
    clock: Any,
    clinic: Any,
    clinic_admin: Any,
    front_desk: Any,
    prescriber: Any,
    patient: Any,
    second_course: Any,
    protocols: dict[str, Any],
    chairs: list[Any],
    day: date,
    starts_utc: datetime,
) -> None:
    clock(datetime.combine(day - timedelta(days=7), time(12), tzinfo=UTC))
    # A night list: every day 00:00-07:00, so a stay spans the hour that changes.
    set_opening_hours(
        clinic_admin, working_days=list(range(7)), opens_at=time(0), closes_at=time(7)
    )
    course = start_course(prescriber, patient, protocols["iv-racemic"], started_on=day)
    starts_at = at_clinic(day, time(0, 30), clinic)
    assert starts_at == starts_utc
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=starts_at)
    appt.refresh_from_db()
    assert appt.starts_at == starts_utc
    assert appt.ends_at - appt.starts_at == HELD
    assert appt.ends_at == starts_utc + HELD
    # The chair is next free after the real end and the turnover, and that start books.
    times = chair_time(course_protocol(course), clinic.pk)
    free = next_free_start(chairs[0], day, times)
    assert free == starts_utc + HELD + TURNOVER
    with pytest.raises(ValidationError, match="is taken"):  # a minute early: the turnover
        book_appointment(
            front_desk, second_course, chair=chairs[0], starts_at=free - timedelta(minutes=1)
        )
    other = book_appointment(front_desk, second_course, chair=chairs[0], starts_at=free)
    assert other.ends_at - other.starts_at == HELD
