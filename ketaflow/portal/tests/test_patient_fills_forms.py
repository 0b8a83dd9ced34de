"""A patient fills the forms on their link: stored item by item, scored by the core, audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from ketaflow.audit.models import AccessEvent, Action
from ketaflow.portal.tests.conftest import answers, path
from ketaflow.questionnaires.models import Context, InstrumentResponse, RaterKind

pytestmark = pytest.mark.django_db

GAD7_MILD = [1, 1, 1, 1, 0, 1, 2]  # published example: total 7, mild [S42d]


def test_the_link_lists_the_forms_asked_for(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    page = portal_client.get(path(issue(patient))).content.decode()
    assert "Hello Jane" in page
    assert "Fill in the GAD-7" in page and "Fill in the PHQ-9" in page


def test_a_form_shows_the_published_wording_and_answers(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    page = portal_client.get(path(issue(patient), "form", "gad7")).content.decode()
    assert "Over the last 2 weeks" in page
    assert "Feeling nervous, anxious, or on edge" in page
    assert page.count('type="radio"') == 8 * 4


def test_an_incomplete_form_is_refused_naming_the_item_and_keeping_the_answers(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    page = portal_client.post(path(issued, "form", "gad7"), answers(GAD7_MILD, skip=3))
    assert page.status_code == 422
    text = page.content.decode()
    assert "Please answer question 3" in text
    assert "Worrying too much about different things" in text
    assert 'name="item_7" value="2" checked' in text
    assert 'name="item_1" value="1" checked' in text
    assert InstrumentResponse.objects.count() == 0


def test_a_complete_form_is_stored_item_by_item_and_scored_by_the_core(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    page = portal_client.post(path(issued, "form", "gad7"), answers(GAD7_MILD))
    assert page.status_code == 200
    assert "answers were sent to your care team" in page.content.decode()
    response = InstrumentResponse.objects.get()
    assert response.patient == patient
    assert response.answers == [*GAD7_MILD, None]
    assert (response.total, response.severity) == (7, "mild")
    assert response.rater == RaterKind.SELF
    assert response.recorded_by is None
    assert response.context == Context.FOLLOW_UP
    assert response.context_ref == f"portal-link:{issued.link.pk}"
    # The form is done: it is no longer offered, the other one still is.
    home = portal_client.get(path(issued)).content.decode()
    assert "Fill in the GAD-7" not in home and "Fill in the PHQ-9" in home


def test_the_optional_difficulty_answer_is_kept(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    data = {**answers([2, 2, 2, 2, 1, 1, 2, 0, 0]), "difficulty": "1"}
    portal_client.post(path(issue(patient), "form", "phq9"), data)
    response = InstrumentResponse.objects.get()
    assert response.answers == [2, 2, 2, 2, 1, 1, 2, 0, 0, 1]
    assert (response.total, response.severity) == (12, "moderate")


def test_a_form_not_asked_for_or_not_for_patients_is_not_offered(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient, instruments=("gad7",))
    assert portal_client.get(path(issued, "form", "phq9")).status_code == 302
    assert portal_client.post(path(issued, "form", "pcl5"), {}).status_code == 302
    assert portal_client.get(path(issued, "form", "cssrs")).status_code == 404
    assert portal_client.get(path(issued, "form", "hama")).status_code == 302
    assert InstrumentResponse.objects.count() == 0


def test_reads_and_writes_are_audited_with_the_patient_as_actor_on_the_portal_channel(
    issue: Any, patient: Any, portal_client: Client
) -> None:
    issued = issue(patient)
    portal_client.get(path(issued))
    portal_client.post(path(issued, "form", "gad7"), answers(GAD7_MILD))
    events = AccessEvent.objects.filter(channel="portal")
    assert {e.action for e in events} == {Action.VIEW, Action.CREATE}
    for event in events:
        assert event.actor is None
        assert event.patient_id == patient.pk
        assert event.actor_label.startswith(f"patient {patient.pk} via portal link")
    created = events.get(action=Action.CREATE)
    assert created.object_type == "questionnaires.InstrumentResponse"
    assert created.detail["total"] == 7


@pytest.fixture
def at_noon(clinic: Any, clock: Callable[[datetime], None]) -> None:
    """Pin the clock to 12:00 in the clinic's zone, so "a session later today" exists."""
    from datetime import time

    from ketaflow.lib.clock import at_clinic, clinic_today

    clock(at_clinic(clinic_today(clinic), time(12, 0), clinic))


def test_a_form_before_a_session_later_today_is_a_pre_session_form(
    at_noon: None,
    issue: Any,
    patient: Any,
    course: Any,
    give_session: Any,
    today: Any,
    portal_client: Client,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from ketaflow.courses.models import Appointment, AppointmentStatus
    from ketaflow.lib.clock import local

    appt = give_session(course, today, status=AppointmentStatus.BOOKED)
    Appointment.objects.filter(pk=appt.pk).update(starts_at=timezone.now() + timedelta(minutes=5))
    appt.refresh_from_db()
    assert local(appt.starts_at, patient.clinic).date() == today
    portal_client.post(path(issue(patient), "form", "gad7"), answers(GAD7_MILD))
    response = InstrumentResponse.objects.get()
    assert response.context == Context.PRE_SESSION
    assert response.context_ref == f"appointment:{appt.pk}"
