"""Secret iCalendar feeds: minimal, scoped to one patient or chair, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from ketaflow.audit.models import AccessEvent
from ketaflow.courses.services import (
    book_appointment,
    cancel_appointment,
    issue_chair_feed,
    issue_patient_feed,
    revoke_feed,
)

pytestmark = pytest.mark.django_db


def _events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


@pytest.fixture
def booked(front_desk, course, second_course, chairs, monday, at):
    mine = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    theirs = book_appointment(front_desk, second_course, chair=chairs[1], starts_at=at(monday, 9))
    return mine, theirs


def test_the_patient_feed_works_without_sign_in_and_shows_only_their_sessions(
    client, front_desk, patient, booked, at, monday
):
    _mine, _theirs = booked
    _feed, raw = issue_patient_feed(front_desk, patient)
    events = _events(client.get(f"/courses/feeds/{raw}.ics"))
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "Ketaflow appointment"
    assert str(event["location"]) == "Riverside Clinic"
    assert "no driving until the next day" in str(event["description"]).lower()
    assert "adult escort" in str(event["description"])
    assert event.decoded("dtstart") == at(monday, 9)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=130)
    text = client.get(f"/courses/feeds/{raw}.ics").content.decode()
    for private in ("Jane", "Doe", "KF-000001", "ketamine", "John", "Roe"):
        assert private not in text


def test_a_cancelled_session_stays_in_the_feed_as_cancelled(client, front_desk, patient, booked):
    cancel_appointment(front_desk, booked[0], "Unwell")
    _feed, raw = issue_patient_feed(front_desk, patient)
    (event,) = _events(client.get(f"/courses/feeds/{raw}.ics"))
    assert str(event["status"]) == "CANCELLED"


def test_regenerating_stops_the_old_url_and_revoking_stops_the_new(
    client, front_desk, patient, booked
):
    _old, old_raw = issue_patient_feed(front_desk, patient)
    new, new_raw = issue_patient_feed(front_desk, patient)
    assert client.get(f"/courses/feeds/{old_raw}.ics").status_code == 404
    assert client.get(f"/courses/feeds/{new_raw}.ics").status_code == 200
    revoke_feed(front_desk, new)
    assert client.get(f"/courses/feeds/{new_raw}.ics").status_code == 404


def test_a_made_up_token_is_not_found(client, booked):
    assert client.get("/courses/feeds/not-a-real-token.ics").status_code == 404


def test_the_chair_feed_shows_initials_and_mrn_only(client, clinic_admin, chairs, booked):
    _feed, raw = issue_chair_feed(clinic_admin, chairs[0])
    (event,) = _events(client.get(f"/courses/feeds/{raw}.ics"))
    assert str(event["summary"]) == "J.D. KF-000001 · session 1"
    text = client.get(f"/courses/feeds/{raw}.ics").content.decode()
    assert "Jane" not in text and "Doe" not in text and "KF-000002" not in text


def test_reading_a_feed_is_audited(client, front_desk, patient, booked):
    _feed, raw = issue_patient_feed(front_desk, patient)
    client.get(f"/courses/feeds/{raw}.ics")
    event = AccessEvent.objects.filter(action="export", patient=patient).first()
    assert event is not None and event.actor is None


def test_feed_tokens_are_stored_hashed(front_desk, patient, booked):
    feed, raw = issue_patient_feed(front_desk, patient)
    assert raw not in feed.digest and feed.prefix == raw[:8]


def test_only_booking_roles_issue_patient_feeds_and_only_admins_chair_feeds(
    personas, patient, chairs
):
    from django.core.exceptions import PermissionDenied

    for name in ("researcher",):
        with pytest.raises(PermissionDenied):
            issue_patient_feed(personas[name], patient)
    for name in ("front_desk", "nurse", "prescriber", "researcher"):
        with pytest.raises(PermissionDenied):
            issue_chair_feed(personas[name], chairs[0])
    with pytest.raises(PermissionDenied):
        issue_patient_feed(personas["outsider"], patient)
