"""A patient's sessions are at least the protocol's minimum interval apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ketaflow.courses.services import book_appointment

pytestmark = pytest.mark.django_db


def test_a_second_iv_session_the_next_day_is_refused_with_the_reason(
    front_desk, course, chairs, monday, at
):
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    with pytest.raises(ValidationError) as caught:
        book_appointment(
            front_desk, course, chair=chairs[1], starts_at=at(monday + timedelta(1), 9)
        )
    message = " ".join(caught.value.messages)
    assert "Too close after this patient's session 1" in message
    assert "at least 2 days" in message
    assert f"{monday + timedelta(2):%a %d %b %Y}" in message


def test_two_sessions_on_the_same_day_are_refused(front_desk, course, chairs, monday, at):
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    with pytest.raises(ValidationError, match="0 days apart"):
        book_appointment(front_desk, course, chair=chairs[1], starts_at=at(monday, 14))


def test_the_interval_is_checked_before_a_later_session_too(front_desk, course, chairs, monday, at):
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday + timedelta(2), 9))
    with pytest.raises(ValidationError, match="Too close before"):
        book_appointment(
            front_desk, course, chair=chairs[0], starts_at=at(monday + timedelta(1), 9)
        )


def test_sessions_the_minimum_apart_are_accepted_and_numbered_in_order(
    front_desk, course, chairs, monday, at
):
    wednesday = book_appointment(
        front_desk, course, chair=chairs[0], starts_at=at(monday + timedelta(2), 9)
    )
    first = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    wednesday.refresh_from_db()
    assert (first.session_number, wednesday.session_number) == (1, 2)


def test_the_sc_protocol_asks_for_six_days(
    front_desk, prescriber, second_patient, protocols, chairs, monday, at
):
    from ketaflow.courses.services import start_course

    sc = start_course(
        prescriber, second_patient, protocols["sc-racemic-anxiety"], started_on=monday
    )
    book_appointment(front_desk, sc, chair=chairs[0], starts_at=at(monday, 9))
    with pytest.raises(ValidationError, match="at least 6 days"):
        book_appointment(front_desk, sc, chair=chairs[0], starts_at=at(monday + timedelta(4), 9))
    week = book_appointment(front_desk, sc, chair=chairs[0], starts_at=at(monday + timedelta(7), 9))
    # SC: 30 prep + 15 dose + 120 observation.
    assert week.ends_at - week.starts_at == timedelta(minutes=165)
