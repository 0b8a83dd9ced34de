"""Two desks booking the same chair at the same moment: exactly one succeeds (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from ketaflow.courses.models import Appointment


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_chair_cannot_both_succeed(
    front_desk, course, second_course, chairs
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write; row locks are only testable on PostgreSQL")
    from ketaflow.courses.services import book_appointment
    from ketaflow.lib.clock import at_clinic

    today = timezone.localdate()
    monday = today + timedelta(days=(7 - today.weekday()) + 14)
    starts = at_clinic(monday, time(9), course.patient.clinic)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(c):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            book_appointment(front_desk, c, chair=chairs[0], starts_at=starts)
            outcomes.append("booked")
        except ValidationError as exc:
            outcomes.append("refused: " + " ".join(exc.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(c,)) for c in (course, second_course)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["booked", "refused"], outcomes
    assert Appointment.objects.filter(chair=chairs[0]).count() == 1
