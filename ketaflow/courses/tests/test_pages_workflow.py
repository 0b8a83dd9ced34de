"""The pages end to end: start a course, book (with a clear clash error), series, revise."""

from __future__ import annotations

import pytest

from ketaflow.courses.models import Appointment, Course, ProtocolVersion

pytestmark = pytest.mark.django_db


def test_a_prescriber_starts_a_course_from_the_page(
    client, login, prescriber, patient, protocols, monday
):
    login(client, prescriber)
    response = client.post(
        f"/courses/patient/{patient.pk}/start/",
        {"protocol_version": protocols["sc-racemic-anxiety"].pk, "started_on": monday.isoformat()},
    )
    course = Course.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"] == f"/courses/{course.pk}/"


def test_a_clash_is_shown_next_to_the_date_not_a_500(
    client, login, front_desk, course, second_course, chairs, monday, at
):
    from ketaflow.courses.services import book_appointment

    book_appointment(front_desk, second_course, chair=chairs[0], starts_at=at(monday, 9))
    login(client, front_desk)
    response = client.post(
        f"/courses/{course.pk}/book/",
        {"chair": chairs[0].pk, "day": monday.isoformat(), "at": "10:00", "book_anyway": "on"},
    )
    assert response.status_code == 200
    assert "Chair 1 is taken 09:00–11:10" in response.content.decode()


def test_front_desk_books_the_whole_series_from_the_course_page(
    client, login, front_desk, course, chairs
):
    login(client, front_desk)
    response = client.post(
        f"/courses/{course.pk}/book-series/", {"at": "09:00", "book_anyway": "on"}
    )
    assert response.status_code == 302
    assert Appointment.objects.filter(course=course).count() == 6
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert "Sessions booked" in page


def test_the_revise_form_makes_a_new_version(client, login, prescriber, protocols):
    login(client, prescriber)
    v1 = protocols["iv-racemic"]
    response = client.post(
        f"/courses/protocols/{v1.pk}/revise/",
        {"reason": "Local audit", "s__observation_minutes": "90"},
    )
    v2 = ProtocolVersion.objects.get(code="iv-racemic", version=2)
    assert response["Location"] == f"/courses/protocols/{v2.pk}/"
    assert v2.load().observation_minutes.value == 90


def test_a_bad_revision_value_is_shown_on_its_field(client, login, prescriber, protocols):
    login(client, prescriber)
    response = client.post(
        f"/courses/protocols/{protocols['esketamine-label'].pk}/revise/",
        {"reason": "x", "s__observation_minutes": "30"},
    )
    assert response.status_code == 200
    assert "must be at least 120" in response.content.decode()


def test_the_admin_sets_up_chairs_and_closed_days(client, login, clinic_admin, monday):
    login(client, clinic_admin)
    assert (
        client.post("/courses/setup/chairs/add/", {"name": "Chair A", "active": "on"}).status_code
        == 302
    )
    response = client.post("/courses/setup/chairs/add/", {"name": "chair a"})
    assert "Another chair" in response.content.decode()
    assert (
        client.post(
            "/courses/setup/closed/add/", {"on": monday.isoformat(), "reason": "Holiday"}
        ).status_code
        == 302
    )


def test_the_schedule_shows_each_chair_per_day(
    client, login, front_desk, course, chairs, monday, at
):
    from ketaflow.courses.services import book_appointment

    book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    login(client, front_desk)
    page = client.get(f"/courses/schedule/?start={monday.isoformat()}").content.decode()
    assert "Chair 1" in page and "Chair 2" in page and "KF-000001" in page
    partial = client.get(f"/courses/schedule/?start={monday.isoformat()}", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content
