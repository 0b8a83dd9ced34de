"""The front desk confirms upcoming bookings with the patient (issue #13, "unconfirmed
bookings"): who and when are kept, the desk's home lists the bookings of the next clinic days
still to confirm (with a Confirm button) and the navigation counts them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from ketaflow.audit.models import AccessEvent
from ketaflow.conftest import DEFAULT_NOW
from ketaflow.courses.models import Appointment
from ketaflow.courses.services import (
    book_appointment,
    cancel_appointment,
    close_day,
    confirm_booking,
    reschedule_appointment,
    set_opening_hours,
)
from ketaflow.lib.clock import at_clinic
from ketaflow.web.worklists import nav_counts, sections

pytestmark = pytest.mark.django_db

# The pinned clock: Wednesday 25 November 2026, 10:30 in London. With Monday-Friday opening,
# the next 7 clinic days (today included) run to Thursday 3 December.
TODAY = DEFAULT_NOW.date()
THURSDAY = date(2026, 11, 26)
LAST_DAY = date(2026, 12, 3)
FRIDAY_AFTER = date(2026, 12, 4)


@pytest.fixture
def at_clinic_time(clinic: Any) -> Any:
    def make(day: date, hour: int) -> datetime:
        return at_clinic(day, time(hour), clinic)

    return make


@pytest.fixture
def booked(front_desk: Any, course: Any, chairs: list[Any], at_clinic_time: Any) -> Appointment:
    """Tomorrow at 09:00, not confirmed."""
    return book_appointment(
        front_desk, course, chair=chairs[0], starts_at=at_clinic_time(THURSDAY, 9)
    )


def _section(user: Any, key: str) -> Any:
    return next(s for s in sections(user) if s.key == key)


# ---------------------------------------------------------------------------- the service


def test_confirming_keeps_who_and_when_and_is_audited(front_desk: Any, booked: Any) -> None:
    done = confirm_booking(front_desk, booked, note="Phoned, spoke to her")
    done.refresh_from_db()
    assert done.confirmed_by == front_desk
    assert done.confirmed_at is not None and abs(done.confirmed_at - DEFAULT_NOW) < timedelta(
        seconds=5
    )
    assert done.confirm_note == "Phoned, spoke to her"
    event = AccessEvent.objects.filter(detail__confirmed=True).latest("pk")
    assert event.patient_id == booked.course.patient_id
    assert event.detail["note"] == "Phoned, spoke to her"
    assert done.history.first().history_change_reason == "Booking confirmed: Phoned, spoke to her"


def test_a_booking_is_confirmed_once(front_desk: Any, nurse: Any, booked: Any) -> None:
    confirm_booking(front_desk, booked)
    with pytest.raises(ValidationError, match="Already confirmed by Fiona"):
        confirm_booking(nurse, booked)


def test_only_a_booked_appointment_still_to_come_is_confirmed(
    front_desk: Any, booked: Any, clock: Any
) -> None:
    cancel_appointment(front_desk, booked, "Patient asked")
    with pytest.raises(ValidationError, match="this one is cancelled"):
        confirm_booking(front_desk, booked)


def test_a_past_days_booking_is_not_confirmed(
    front_desk: Any, booked: Any, clock: Any, clinic: Any
) -> None:
    clock(at_clinic(THURSDAY + timedelta(days=1), time(9), clinic))
    with pytest.raises(ValidationError, match="day has passed"):
        confirm_booking(front_desk, booked)


def test_moving_a_confirmed_booking_asks_for_it_to_be_confirmed_again(
    front_desk: Any, booked: Any, at_clinic_time: Any
) -> None:
    confirm_booking(front_desk, booked)
    moved = reschedule_appointment(
        front_desk, booked, starts_at=at_clinic_time(THURSDAY, 11), reason="Patient asked"
    )
    assert moved.confirmed_at is None and moved.confirmed_by is None
    event = AccessEvent.objects.filter(detail__has_key="moved").latest("pk")
    assert event.detail["confirmation_cleared"] is True
    assert confirm_booking(front_desk, moved).confirmed_at is not None


def test_who_may_confirm(researcher: Any, outsider: Any, nurse: Any, booked: Any) -> None:
    with pytest.raises(PermissionDenied):
        confirm_booking(researcher, booked)
    with pytest.raises(Http404):
        confirm_booking(outsider, booked)
    assert confirm_booking(nurse, booked).confirmed_by == nurse


# ---------------------------------------------------------------------------- the desk's home


def test_the_desks_home_lists_the_next_clinic_days_bookings_still_to_confirm(
    front_desk: Any,
    clinic_admin: Any,
    course: Any,
    second_course: Any,
    chairs: list[Any],
    at_clinic_time: Any,
    booked: Any,
) -> None:
    last = book_appointment(
        front_desk, second_course, chair=chairs[1], starts_at=at_clinic_time(LAST_DAY, 9)
    )
    beyond = book_appointment(
        front_desk, course, chair=chairs[0], starts_at=at_clinic_time(FRIDAY_AFTER, 9)
    )
    section = _section(front_desk, "bookings-to-confirm")
    assert [i.url for i in section.items] == [
        f"/courses/{booked.course_id}/#appointments",
        f"/courses/{last.course_id}/#appointments",
    ]
    assert section.items[0].text == "Thu 26 Nov 09:00 · Jane Doe (Chair 1)"
    assert section.items[0].button.url == f"/courses/appointments/{booked.pk}/confirm/"
    assert nav_counts(front_desk)["todo"] == 2
    # The list was audited with the patients it named.
    event = AccessEvent.objects.filter(detail__part="unconfirmed_bookings").latest("pk")
    assert event.detail["patient_ids"] == sorted({course.patient_id, second_course.patient_id})
    # Confirmed, it leaves the list and the count.
    confirm_booking(front_desk, booked)
    assert [i.url for i in _section(front_desk, "bookings-to-confirm").items] == [
        f"/courses/{last.course_id}/#appointments"
    ]
    assert nav_counts(front_desk)["todo"] == 1
    # A closed day is not a clinic day: the seventh clinic day is then Friday 4 December.
    close_day(clinic_admin, on=date(2026, 11, 30), reason="Training")
    buttons = [i.button.url for i in _section(front_desk, "bookings-to-confirm").items]
    assert buttons == [
        f"/courses/appointments/{last.pk}/confirm/",
        f"/courses/appointments/{beyond.pk}/confirm/",
    ]


def test_the_horizon_is_the_clinics_setting(
    front_desk: Any,
    clinic_admin: Any,
    booked: Any,
    course: Any,
    chairs: list[Any],
    at_clinic_time: Any,
) -> None:
    later = book_appointment(
        front_desk, course, chair=chairs[0], starts_at=at_clinic_time(LAST_DAY, 9)
    )
    assert len(_section(front_desk, "bookings-to-confirm").items) == 2
    set_opening_hours(clinic_admin, confirm_days_ahead=2)  # today and tomorrow
    (item,) = _section(front_desk, "bookings-to-confirm").items
    assert item.button.url.endswith(f"/{booked.pk}/confirm/")
    assert later.confirmed_at is None  # still to confirm, beyond the horizon now


def test_an_earlier_booking_today_is_not_asked_for(
    front_desk: Any, course: Any, chairs: list[Any], at_clinic_time: Any, clock: Any, clinic: Any
) -> None:
    clock(at_clinic(TODAY, time(7), clinic))
    today = book_appointment(
        front_desk, course, chair=chairs[0], starts_at=at_clinic_time(TODAY, 9)
    )
    assert len(_section(front_desk, "bookings-to-confirm").items) == 1
    clock(at_clinic(TODAY, time(12), clinic))
    assert not _section(front_desk, "bookings-to-confirm").items
    assert today.confirmed_at is None


def test_another_clinics_bookings_never_show(other_clinic: Any, booked: Any) -> None:
    from ketaflow.accounts.models import User

    desk = User.objects.create(username="odile.desk", clinic=other_clinic, role="front_desk")
    assert not _section(desk, "bookings-to-confirm").items
    assert nav_counts(desk)["todo"] == 0


# ---------------------------------------------------------------------------- the pages


def test_confirm_from_the_desks_home_and_back(
    client: Any, login: Any, front_desk: Any, booked: Any
) -> None:
    login(client, front_desk)
    page = client.get("/").content.decode()
    assert f'action="/courses/appointments/{booked.pk}/confirm/"' in page
    assert 'aria-label="Confirm Jane Doe, Thu 26 Nov 09:00"' in page
    response = client.post(
        f"/courses/appointments/{booked.pk}/confirm/", {"next": "/#bookings-to-confirm"}
    )
    assert response.status_code == 302 and response["Location"] == "/#bookings-to-confirm"
    booked.refresh_from_db()
    assert booked.confirmed_by == front_desk
    page = client.get("/").content.decode()
    assert "Confirmed: Jane Doe, session 1 on Thu 26 Nov 09:00." in page
    assert f"/courses/appointments/{booked.pk}/confirm/" not in page


def test_the_course_page_shows_who_confirmed_and_offers_confirm_until_then(
    client: Any, login: Any, front_desk: Any, booked: Any
) -> None:
    login(client, front_desk)
    url = f"/courses/{booked.course_id}/"
    page = client.get(url).content.decode()
    assert "Not confirmed" in page and f"/courses/appointments/{booked.pk}/confirm/" in page
    response = client.post(
        f"/courses/appointments/{booked.pk}/confirm/", {"note": "Text reply", "next": url}
    )
    assert response["Location"] == url
    page = client.get(url).content.decode()
    assert "Confirmed" in page and "Text reply" in page and "Fiona" in page
    assert f"/courses/appointments/{booked.pk}/confirm/" not in page


def test_the_schedule_offers_confirm(client: Any, login: Any, front_desk: Any, booked: Any) -> None:
    login(client, front_desk)
    page = client.get("/courses/schedule/").content.decode()
    assert f"/courses/appointments/{booked.pk}/confirm/" in page


def test_a_refused_confirm_says_why_and_a_foreign_next_is_ignored(
    client: Any, login: Any, front_desk: Any, booked: Any
) -> None:
    login(client, front_desk)
    confirm_booking(front_desk, booked)
    response = client.post(
        f"/courses/appointments/{booked.pk}/confirm/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/courses/{booked.course_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "Already confirmed by Fiona" in page
