"""Saving the checklist or the discharge assessment again keeps what the form did not change."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.treatments import derive, services
from ketaflow.treatments.tests.conftest import fresh, make_discharge_ready

pytestmark = pytest.mark.django_db


def test_the_checklist_form_is_pre_filled_with_the_saved_answers(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    page = login(client, nurse).get(reverse("treatments:session", args=[ready.pk]))
    body = page.content.decode()
    assert 'name="escort_name" value="Sam Doe"' in body
    assert 'name="escort_phone" value="07700 900123"' in body
    assert 'name="medication_changes_reviewed" checked' in body
    assert 'id="food" name="last_food_at" value="' in body
    assert 'id="food" name="last_food_at" value=""' not in body


def test_a_service_call_sending_one_answer_keeps_the_others(nurse: Any, ready: Any) -> None:
    services.save_checklist(nurse, ready, ready.version, taken_today=["opioid"])
    answers = derive.latest_answers(fresh(ready))
    assert answers is not None and answers.taken_today == ["opioid"]
    assert answers.escort_name == "Sam Doe" and answers.last_food_at is not None
    assert answers.medication_changes_reviewed is True
    assert fresh(ready).status == "ready"


def test_an_explicit_empty_value_still_clears_an_answer(nurse: Any, ready: Any) -> None:
    services.save_checklist(nurse, ready, ready.version, escort_name="", last_food_at=None)
    answers = derive.latest_answers(fresh(ready))
    assert answers is not None and answers.escort_name == "" and answers.last_food_at is None
    assert answers.escort_phone == "07700 900123"
    assert fresh(ready).status == "checked_in"


def test_the_api_keeps_answers_it_does_not_send(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    r = login(client, nurse).post(
        f"/api/v1/treatments/{ready.pk}/checklist",
        {"version": ready.version, "medication_changes": "started propranolol"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["checklist"]["can_start"] is True
    answers = derive.latest_answers(fresh(ready))
    assert answers is not None and answers.escort_name == "Sam Doe"


def test_an_override_alone_keeps_the_nurses_discharge_answers(
    client: Any, login: Any, nurse: Any, prescriber: Any, observing: Any
) -> None:
    session = make_discharge_ready(nurse, observing)
    services.record_discharge(
        nurse,
        session,
        session.version,
        aldrete_score=10,
        dissociation_resolved=True,
        escort_present=True,
        told_not_to_drive=True,
    )
    c = login(client, prescriber)
    page = c.get(reverse("treatments:session", args=[session.pk])).content.decode()
    assert 'name="dissociation_resolved"' in page and '<option value="yes" selected>' in page
    assert 'name="escort_present" checked' in page and 'name="told_not_to_drive" checked' in page
    # the API, as a prescriber adding only an override (nothing else sent)
    r = c.post(
        f"/api/v1/treatments/{session.pk}/discharge",
        {"version": fresh(session).version, "overrides": {"observation.minimum": "reviewed"}},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    last = derive.latest_discharge(fresh(session))
    assert last is not None and last.escort_present and last.told_not_to_drive
    assert last.aldrete_score == 10 and last.dissociation_resolved is True
