"""Booking a treatment warns of missing eligibility or consent and asks "Book anyway";
check-in shows every gate before dosing at once; check-in is on the appointment's day only.

The gates keep their one home (`screening/selectors.py`, `treatments/risk.py`); courses asks
them through `courses/gates.py`, where those apps register them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.courses.models import Appointment, AppointmentStatus
from ketaflow.courses.services import book_appointment, set_appointment_status
from ketaflow.screening.services import (
    open_review,
    publish_document,
    record_signature,
    sign_review,
)
from ketaflow.screening.tests.conftest import eligible_patient  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cleared(eligible_patient, nurse, prescriber, clinic_admin):  # noqa: F811
    """Signed eligible (IV) and a current consent."""
    sign_review(
        prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="All clear"
    )
    publish_document(clinic_admin, title="Consent", body="z" * 80, requires_reconsent=True)
    record_signature(nurse, eligible_patient, typed_name="Jane Doe", method="in_person")
    return eligible_patient


def _post_book(client, course, chair, monday, **extra):
    data = {"chair": chair.pk, "day": monday.isoformat(), "at": "09:00", **extra}
    return client.post(f"/courses/{course.pk}/book/", data)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------------------- booking


def test_booking_without_eligibility_or_consent_warns_and_books_nothing(
    client, login, front_desk, course, chairs, monday
):
    login(client, front_desk)
    page = client.get(f"/courses/{course.pk}/book/").content.decode()
    assert "Not ready for treatment yet" in page
    response = _post_book(client, course, chairs[0], monday)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Eligibility: No signed eligibility review that allows treatment today." in html
    assert "Consent: The clinic has no consent document in force." in html
    assert "Tick “Book anyway”" in html
    assert not Appointment.objects.filter(course=course).exists()


def test_book_anyway_books_ahead_and_the_audit_keeps_what_was_missing(
    client, login, front_desk, course, chairs, monday
):
    login(client, front_desk)
    response = _post_book(client, course, chairs[0], monday, book_anyway="on")
    assert response.status_code == 302
    appt = Appointment.objects.get(course=course)
    event = AccessEvent.objects.filter(object_id=str(appt.pk), action="create").latest("pk")
    missing = event.detail["booked_although_missing"]
    assert [line.split(":")[0] for line in missing] == ["Eligibility", "Consent"]
    assert any("Before the first dose" in m for m in _messages(response))


def test_the_front_desk_sees_what_is_missing_but_not_the_clinical_detail(
    client, login, front_desk, prescriber, nurse, course, chairs, monday
):
    review = open_review(nurse, course.patient)
    sign_review(prescriber, review, decision="not_eligible", reason="Uncontrolled hypertension")
    login(client, front_desk)
    desk = client.get(f"/courses/{course.pk}/book/").content.decode()
    assert "No signed eligibility review that allows treatment today" in desk
    assert "Uncontrolled hypertension" not in desk
    login(client, prescriber)
    clinical = client.get(f"/courses/{course.pk}/book/").content.decode()
    assert "Uncontrolled hypertension" in clinical


def test_with_eligibility_and_consent_in_order_there_is_no_warning(
    client, login, front_desk, cleared, course, chairs, monday
):
    login(client, front_desk)
    page = client.get(f"/courses/{course.pk}/book/").content.decode()
    assert "Not ready for treatment yet" not in page
    assert "book_anyway" not in page
    assert _post_book(client, course, chairs[0], monday).status_code == 302


def test_the_service_alone_still_books_ahead(front_desk, course, chairs, monday, at):
    # The hard gate is at the start of dosing, not at booking (API and series booking too).
    assert book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))


# ---------------------------------------------------------------------------- check-in


@pytest.fixture
def booked(front_desk, course, chairs, monday, at, clock):
    appt = book_appointment(front_desk, course, chair=chairs[0], starts_at=at(monday, 9))
    return appt


def test_check_in_before_the_appointment_s_day_is_refused_by_the_service(
    front_desk, nurse, booked, monday, at, clock
):
    from ketaflow.treatments.services import check_in

    clock(at(monday - timedelta(days=1), 17))
    with pytest.raises(ValidationError, match="can be checked in on that day, not before"):
        set_appointment_status(front_desk, booked, AppointmentStatus.CHECKED_IN)
    with pytest.raises(ValidationError, match="can be checked in on that day, not before"):
        check_in(nurse, booked)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    clock(at(monday, 7, 50))  # the morning of the day: allowed
    assert check_in(nurse, booked).appointment_id == booked.pk


def test_the_course_page_offers_check_in_only_on_the_day(
    client, login, front_desk, booked, course, monday, at, clock
):
    login(client, front_desk)
    button = f'action="/courses/appointments/{booked.pk}/status/"'
    assert button not in client.get(f"/courses/{course.pk}/").content.decode()
    clock(at(monday, 8))
    login(client, front_desk)  # two weeks on: a new sign-in
    assert button in client.get(f"/courses/{course.pk}/").content.decode()


def test_a_future_check_in_is_refused_through_the_pages(
    client, login, front_desk, nurse, booked, course
):
    login(client, front_desk)
    response = client.post(f"/courses/appointments/{booked.pk}/status/", {"status": "checked_in"})
    assert any("not before" in m for m in _messages(response))
    login(client, nurse)
    response = client.post(f"/treatments/check-in/{booked.pk}/")
    assert response.status_code == 302
    assert any("not before" in m for m in _messages(response))
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_a_future_check_in_is_refused_through_the_api(client, login, front_desk, nurse, booked):
    from ketaflow.lib.tests.api_client import call

    login(client, nurse)
    chair_side = call(client, "post", f"/treatments/check-in/{booked.pk}")
    assert chair_side.status_code == 422, chair_side.content
    assert "not before" in chair_side.content.decode()
    login(client, front_desk)
    desk = call(
        client,
        "post",
        f"/courses/appointments/{booked.pk}/status",
        {"status": "checked_in"},
    )
    assert desk.status_code == 422, desk.content
    assert "not before" in desk.content.decode()


def test_the_desk_check_in_shows_every_missing_gate_at_once(
    client, login, nurse, booked, course, monday, at, clock
):
    from ketaflow.questionnaires.services import record_response

    clock(at(monday, 8))
    record_response(
        nurse,
        course.patient,
        "phq9",
        answers=[1] * 9,
        context="follow_up",
        administered_at=timezone.now() - timedelta(minutes=5),
        rater="self",
    )
    login(client, nurse)
    response = client.post(f"/courses/appointments/{booked.pk}/status/", {"status": "checked_in"})
    (text,) = _messages(response)
    assert text.startswith("Checked in. Before the first dose today:")
    assert "Eligibility: No signed eligibility review" in text
    assert "Consent: The clinic has no consent document in force." in text
    assert "Suicide risk:" in text


def test_the_front_desk_check_in_does_not_show_the_risk_alert(
    client, login, front_desk, nurse, booked, course, monday, at, clock
):
    from ketaflow.questionnaires.services import record_response

    clock(at(monday, 8))
    record_response(
        nurse,
        course.patient,
        "phq9",
        answers=[1] * 9,
        context="follow_up",
        administered_at=timezone.now() - timedelta(minutes=5),
        rater="self",
    )
    login(client, front_desk)
    response = client.post(f"/courses/appointments/{booked.pk}/status/", {"status": "checked_in"})
    (text,) = _messages(response)
    assert "Consent:" in text
    assert "risk" not in text.lower()


def test_the_chair_check_in_says_the_gates_are_in_order_when_they_are(
    client, login, nurse, cleared, booked, monday, at, clock
):
    clock(at(monday, 8))
    login(client, nurse)
    response = client.post(f"/treatments/check-in/{booked.pk}/")
    assert response.status_code == 302
    assert _messages(response) == [
        "Checked in. Eligibility, consent and suicide risk are in order."
    ]


def test_the_chair_check_in_lists_what_is_missing(client, login, nurse, booked, monday, at, clock):
    clock(at(monday, 8))
    login(client, nurse)
    response = client.post(f"/treatments/check-in/{booked.pk}/")
    (text,) = _messages(response)
    assert "Eligibility:" in text and "Consent:" in text
    assert "Suicide risk" not in text  # no alert: that gate passes


def test_the_api_books_ahead_and_says_what_is_missing_before_dosing(
    client, login, front_desk, course, chairs, monday, at
):
    from ketaflow.lib.tests.api_client import call

    login(client, front_desk)
    body = {
        "course_id": course.pk,
        "chair_id": chairs[0].pk,
        "starts_at": at(monday, 9).isoformat(),
    }
    booked = call(client, "post", "/courses/appointments", body)
    assert booked.status_code == 201, booked.content
    missing = booked.json()["before_dosing"]
    assert [line.split(":")[0] for line in missing] == ["Eligibility", "Consent"]


def test_the_api_check_in_on_the_day_lists_the_gates(
    client, login, front_desk, booked, monday, at, clock
):
    from ketaflow.lib.tests.api_client import call

    clock(at(monday, 8))
    login(client, front_desk)
    done = call(
        client, "post", f"/courses/appointments/{booked.pk}/status", {"status": "checked_in"}
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "checked_in"
    assert any(line.startswith("Consent:") for line in done.json()["before_dosing"])


def test_booking_the_whole_series_also_asks_book_anyway(client, login, front_desk, course, chairs):
    login(client, front_desk)
    page = client.get(f"/courses/{course.pk}/").content.decode()
    assert 'id="series-gates"' in page
    refused = client.post(f"/courses/{course.pk}/book-series/", {"at": "09:00"})
    assert refused.status_code == 200
    assert "Tick “Book anyway”" in refused.content.decode()
    assert not Appointment.objects.filter(course=course).exists()
    done = client.post(f"/courses/{course.pk}/book-series/", {"at": "09:00", "book_anyway": "on"})
    assert done.status_code == 302
    assert Appointment.objects.filter(course=course).count() == 6
    assert any("Before the first dose" in m for m in _messages(done))
    event = AccessEvent.objects.filter(action="create", object_type__icontains="appointment")
    assert all("booked_although_missing" in e.detail for e in event)
