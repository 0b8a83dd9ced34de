"""Extra openings: a Saturday clinic or an evening list, booked like the usual hours.

Managed on the set-up page by whoever has MANAGE_CHAIRS (clinic admins), recorded with who
and why, withdrawn (never deleted) with a reason, and honoured by booking, the next free
slot, the schedule and the chair board.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from ketaflow.audit.models import AccessEvent
from ketaflow.courses.derive.planning import chair_time, course_protocol
from ketaflow.courses.models import ExtraOpening
from ketaflow.courses.opening_hours import open_windows_on
from ketaflow.courses.services import (
    add_extra_opening,
    book_appointment,
    cancel_appointment,
    close_day,
    withdraw_extra_opening,
)
from ketaflow.courses.services.booking import next_free_start

pytestmark = pytest.mark.django_db


def saturday_clinic(clinic_admin: Any, monday: Any, **kw: Any) -> ExtraOpening:
    values = {"opens_at": time(9), "closes_at": time(13), "reason": "Saturday clinic"}
    values.update(kw)
    return add_extra_opening(clinic_admin, on=monday + timedelta(days=5), **values)


def test_a_saturday_clinic_can_be_booked(clinic_admin, front_desk, course, chairs, monday, at):
    saturday = monday + timedelta(days=5)
    opening = saturday_clinic(clinic_admin, monday)
    assert (opening.created_by, opening.reason) == (clinic_admin, "Saturday clinic")
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(saturday, 9))
    assert appt.ends_at <= opening.ends_at
    created = AccessEvent.objects.get(action="create", object_type="courses.ExtraOpening")
    assert created.detail["reason"] == "Saturday clinic"


def test_the_whole_stay_must_fit_the_extra_opening(
    clinic_admin, front_desk, course, chairs, monday, at
):
    saturday = monday + timedelta(days=5)
    saturday_clinic(clinic_admin, monday)
    # 130 min in the chair: 10:50 is the last start before 13:00.
    with pytest.raises(ValidationError) as err:
        book_appointment(front_desk, course, chair=chairs[0], starts_at=at(saturday, 11))
    message = " ".join(err.value.messages)
    assert "Open 09:00–13:00 (with an extra opening: Saturday clinic)" in message
    assert "between 09:00 and 10:50" in message
    assert book_appointment(front_desk, course, chair=chairs[0], starts_at=at(saturday, 10, 50))


def test_an_evening_list_extends_the_day(clinic_admin, front_desk, course, chairs, monday, at):
    add_extra_opening(
        clinic_admin, on=monday, opens_at=time(18), closes_at=time(21), reason="Evening list"
    )
    windows = open_windows_on(course.patient.clinic, monday)
    assert windows == [(at(monday, 8), at(monday, 21))]
    # 17:30 + 130 min = 19:40: across the usual closing time, into the evening list.
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 17, 30))
    assert appt.ends_at == at(monday, 19, 40)


def test_an_opening_may_run_past_midnight(clinic_admin, front_desk, course, chairs, monday, at):
    opening = add_extra_opening(
        clinic_admin, on=monday, opens_at=time(22), closes_at=time(2), reason="Night list"
    )
    assert opening.ends_at == at(monday + timedelta(days=1), 2)
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 23))
    assert appt.ends_at > at(monday + timedelta(days=1), 0)


def test_the_next_free_slot_knows_the_extra_opening(
    clinic_admin, front_desk, course, second_course, chairs, monday, at
):
    saturday = monday + timedelta(days=5)
    protocol = course_protocol(course)
    times = chair_time(protocol, course.patient.clinic_id)
    assert next_free_start(chairs[0], saturday, times) is None
    saturday_clinic(clinic_admin, monday, closes_at=time(17))
    assert next_free_start(chairs[0], saturday, times) == at(saturday, 9)
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(saturday, 9))
    # 09:00 + 130 min + 15 min turnover.
    assert next_free_start(chairs[0], saturday, times) == at(saturday, 11, 25)


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"reason": " "}, "reason", "Say why"),
        ({"opens_at": time(9), "closes_at": time(17), "weekday": True}, "opens_at", "open then"),
        ({"past": True}, "on", "already over"),
    ],
)
def test_an_opening_that_makes_no_sense_is_refused(
    clinic_admin, monday, values: dict[str, Any], field: str, words: str
):
    on = monday + timedelta(days=5)
    if values.pop("weekday", False):
        on = monday
    if values.pop("past", False):
        on = monday - timedelta(days=60)
    args = {"opens_at": time(9), "closes_at": time(13), "reason": "Saturday clinic", **values}
    with pytest.raises(ValidationError) as err:
        add_extra_opening(clinic_admin, on=on, **args)
    assert words in " ".join(err.value.message_dict[field])
    assert not ExtraOpening.objects.exists()


def test_openings_may_not_overlap(clinic_admin, monday):
    saturday_clinic(clinic_admin, monday)
    with pytest.raises(ValidationError, match="overlaps the extra opening"):
        saturday_clinic(clinic_admin, monday, opens_at=time(12), closes_at=time(15))


def test_a_closed_day_and_an_extra_opening_exclude_each_other(clinic_admin, monday):
    close_day(clinic_admin, on=monday, reason="Staff training")
    with pytest.raises(ValidationError, match="marked closed"):
        add_extra_opening(
            clinic_admin, on=monday, opens_at=time(18), closes_at=time(20), reason="Evening"
        )
    saturday_clinic(clinic_admin, monday)
    with pytest.raises(ValidationError, match="withdraw it first"):
        close_day(clinic_admin, on=monday + timedelta(days=5), reason="Flood")


def test_withdrawing_waits_for_the_appointments_that_need_it(
    clinic_admin, front_desk, course, chairs, monday, at
):
    opening = saturday_clinic(clinic_admin, monday)
    appt = book_appointment(
        front_desk, course, chair=chairs[0], starts_at=at(monday + timedelta(days=5), 9)
    )
    with pytest.raises(ValidationError, match="1 appointment needs this opening"):
        withdraw_extra_opening(clinic_admin, opening, "Not enough staff")
    cancel_appointment(front_desk, appt, "Patient unwell")
    row = withdraw_extra_opening(clinic_admin, opening, "Not enough staff")
    assert (row.withdrawn_by, row.withdrawn_reason) == (clinic_admin, "Not enough staff")
    assert ExtraOpening.objects.count() == 1  # kept, never deleted
    with pytest.raises(ValidationError, match="closed on Saturdays"):
        book_appointment(
            front_desk, course, chair=chairs[0], starts_at=at(monday + timedelta(days=5), 9)
        )


def test_an_evening_booking_inside_the_usual_hours_does_not_need_the_opening(
    clinic_admin, front_desk, course, chairs, monday, at
):
    opening = add_extra_opening(
        clinic_admin, on=monday, opens_at=time(18), closes_at=time(21), reason="Evening list"
    )
    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    assert withdraw_extra_opening(clinic_admin, opening, "Cancelled").withdrawn_at is not None


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "researcher"])
def test_only_chair_managers_add_or_withdraw(personas, clinic_admin, monday, persona):
    opening = saturday_clinic(clinic_admin, monday)
    with pytest.raises(PermissionDenied):
        saturday_clinic(personas[persona], monday, opens_at=time(14), closes_at=time(16))
    with pytest.raises(PermissionDenied):
        withdraw_extra_opening(personas[persona], opening, "No")


def test_another_clinics_opening_is_not_found(clinic_admin, other_clinic, monday):
    from ketaflow.conftest import _make_user

    theirs = _make_user(other_clinic, "olga.admin", "clinic_admin")
    opening = saturday_clinic(clinic_admin, monday)
    with pytest.raises(Http404):
        withdraw_extra_opening(theirs, opening, "Not ours")


def test_the_setup_page_adds_lists_and_withdraws(client, login, clinic_admin, monday):
    c = login(client, clinic_admin)
    saturday = monday + timedelta(days=5)
    response = c.post(
        reverse("courses:extra_add"),
        {"on": saturday, "opens_at": "09:00", "closes_at": "13:00", "reason": "Saturday clinic"},
        follow=True,
    )
    html = response.content.decode()
    assert "Extra opening added: Saturday clinic." in html
    assert 'id="extra-openings"' in html and "Saturday clinic" in html
    opening = ExtraOpening.objects.get()
    response = c.post(
        reverse("courses:extra_add"),
        {"on": saturday, "opens_at": "10:00", "closes_at": "12:00", "reason": "Again"},
    )
    assert "overlaps the extra opening" in response.content.decode()
    response = c.post(
        reverse("courses:extra_withdraw", args=[opening.pk]), {"reason": "No staff"}, follow=True
    )
    assert "Extra opening withdrawn." in response.content.decode()
    opening.refresh_from_db()
    assert opening.withdrawn_reason == "No staff"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("clinic_admin", 302),
        ("front_desk", 403),
        ("nurse", 403),
        ("prescriber", 403),
        ("researcher", 403),
        ("outsider", 403),
    ],
)
def test_who_may_post_an_extra_opening(client, login, personas, monday, persona, expected):
    login(client, personas[persona])
    response = client.post(
        reverse("courses:extra_add"),
        {
            "on": monday + timedelta(days=5),
            "opens_at": "09:00",
            "closes_at": "13:00",
            "reason": "Saturday clinic",
        },
    )
    assert response.status_code == expected
    assert ExtraOpening.objects.count() == (1 if expected == 302 else 0)


def test_the_schedule_shows_the_extra_opening(client, login, clinic_admin, front_desk, monday):
    saturday_clinic(clinic_admin, monday)
    html = (
        login(client, front_desk)
        .get(reverse("courses:schedule"), {"start": monday})
        .content.decode()
    )
    assert "Extra opening 09:00–13:00: Saturday clinic" in html
