"""A chair is held for preparation + infusion + observation, then turnover; no overlaps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ketaflow.courses.services import book_appointment

pytestmark = pytest.mark.django_db


def test_an_iv_session_holds_the_chair_for_prep_infusion_and_observation(
    front_desk, course, chairs, monday, at
):
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    # 30 min arrival and preparation + 40 min infusion + 60 min observation (the protocol's).
    assert appt.ends_at - appt.starts_at == timedelta(minutes=130)
    assert appt.session_number == 1
    assert appt.phase == "induction"


def test_a_second_patient_cannot_take_the_chair_while_the_first_is_observed(
    front_desk, course, second_course, chairs, monday, at
):
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    with pytest.raises(ValidationError) as caught:
        # 10:30 is after the 40-min infusion but inside the 60-min observation.
        book_appointment(front_desk, second_course, chair=chairs[0], starts_at=at(monday, 10, 30))
    message = " ".join(caught.value.messages)
    assert "Chair 1 is taken 09:00–11:10" in message
    assert "KF-000001" in message
    assert "next free at 11:25" in message


def test_the_turnover_buffer_keeps_the_chair_free_after_observation(
    front_desk, course, second_course, chairs, monday, at
):
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    with pytest.raises(ValidationError):
        book_appointment(front_desk, second_course, chair=chairs[0], starts_at=at(monday, 11, 15))
    appt = book_appointment(
        front_desk, second_course, chair=chairs[0], starts_at=at(monday, 11, 25)
    )
    assert appt.chair == chairs[0]


def test_another_chair_is_free_at_the_same_time(
    front_desk, course, second_course, chairs, monday, at
):
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    appt = book_appointment(front_desk, second_course, chair=chairs[1], starts_at=at(monday, 9))
    assert appt.chair == chairs[1]


def test_a_session_starting_before_another_may_not_run_into_it(
    front_desk, course, second_course, chairs, monday, at
):
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 12))
    with pytest.raises(ValidationError, match="taken 12:00"):
        # 10:00 + 130 min = 12:10 overlaps the 12:00 booking.
        book_appointment(front_desk, second_course, chair=chairs[0], starts_at=at(monday, 10))


def test_a_cancelled_appointment_frees_its_chair(
    front_desk, course, second_course, chairs, monday, at
):
    from ketaflow.courses.services import cancel_appointment

    first = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    cancel_appointment(front_desk, first, "Patient unwell")
    appt = book_appointment(front_desk, second_course, chair=chairs[0], starts_at=at(monday, 9))
    assert appt.chair == chairs[0]
