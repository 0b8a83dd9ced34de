"""An open suicide risk alert blocks the start until a prescriber's structured assessment.

Issue #11 item 1. The alert (PHQ-9 item 9 above 0, C-SSRS moderate/high) says "assess before
the next treatment"; nothing starts the session past it: not the start service, not the API,
not a nurse's free-text acknowledgement, not a stale "ready" status. A prescriber's
assessment (today's C-SSRS or a clinician risk level, the plan, proceed or defer) resolves
the alert; "defer" keeps this session blocked.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from ketaflow.lib.tests.api_client import call
from ketaflow.portal import services as portal
from ketaflow.questionnaires.models import RiskAlert
from ketaflow.questionnaires.services import record_response
from ketaflow.treatments import derive, services
from ketaflow.treatments.models import RiskAssessment, SessionStatus
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db

PHQ9_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 1]  # item 9 = 1: "several days"


def raise_alert(actor: Any, patient: Any, minutes_ago: float = 5) -> RiskAlert:
    record_response(
        actor,
        patient,
        "phq9",
        answers=PHQ9_ITEM9,
        context="follow_up",
        administered_at=ago(minutes_ago),
        rater="self",
    )
    return RiskAlert.objects.get(patient=patient, acknowledged_at__isnull=True)


def start(actor: Any, session: Any) -> Any:
    return services.record_administration(
        actor, session, fresh(session).version, kind="start", rate_ml_per_h=52.5
    )


def assess(prescriber: Any, session: Any, decision: str = "proceed", **kw: Any) -> Any:
    kw.setdefault("risk_level", "low")
    kw.setdefault("plan", "Safety plan reviewed with the patient; phone review tomorrow.")
    return portal.record_risk_assessment(
        prescriber, session, fresh(session).version, decision=decision, **kw
    )


def test_an_alert_raised_after_the_checklist_passed_still_stops_the_start(
    ordered: Any, nurse: Any
) -> None:
    """The stale "ready" status is re-checked: the start service refuses."""
    assert fresh(ordered).status == SessionStatus.READY
    raise_alert(nurse, ordered.patient)
    with pytest.raises(ValidationError) as err:
        start(nurse, ordered)
    assert "Suicide risk assessed" in str(err.value)
    assert not fresh(ordered).events.exists()
    item = derive.checklist_of(fresh(ordered), timezone.now()).item("suicide_risk")
    assert item.status.value == "blocking"
    assert "prescriber must record a suicide risk assessment" in item.message


def test_a_nurses_free_text_acknowledgement_does_not_unblock_the_start(
    ordered: Any, nurse: Any
) -> None:
    alert = raise_alert(nurse, ordered.patient)
    portal.acknowledge_alert(nurse, alert, "Phoned the patient; safe at home.")
    with pytest.raises(ValidationError):
        start(nurse, ordered)


def test_only_a_prescriber_records_the_assessment(ordered: Any, nurse: Any) -> None:
    raise_alert(nurse, ordered.patient)
    with pytest.raises(PermissionDenied):
        assess(nurse, ordered)
    assert not RiskAssessment.objects.exists()


def test_a_prescribers_proceed_resolves_the_alert_and_lets_the_start_go(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    alert = raise_alert(nurse, ordered.patient)
    made = assess(prescriber, ordered, risk_level="moderate")
    alert.refresh_from_db()
    assert alert.assessment == made and not alert.is_open
    assert alert.acknowledged_by == prescriber
    assert "risk moderate" in alert.action_note and "Safety plan" in alert.action_note
    assert fresh(ordered).status == SessionStatus.READY
    item = derive.checklist_of(fresh(ordered), timezone.now()).item("suicide_risk")
    assert item.status.value == "ok" and "risk moderate" in item.message
    result = start(nurse, ordered)
    assert result.event.kind == "start"


def test_a_defer_resolves_the_alert_but_keeps_this_session_from_starting(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    alert = raise_alert(nurse, ordered.patient)
    assess(prescriber, ordered, decision="defer", risk_level="high")
    alert.refresh_from_db()
    assert alert.assessment is not None
    assert fresh(ordered).status == SessionStatus.CHECKED_IN
    with pytest.raises(ValidationError) as err:
        start(nurse, ordered)
    assert "Suicide risk assessed" in str(err.value)


def test_an_assessment_needs_a_plan_and_a_risk_level_or_todays_cssrs(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    raise_alert(nurse, ordered.patient)
    with pytest.raises(ValidationError) as err:
        assess(prescriber, ordered, plan="  ")
    assert "plan" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        assess(prescriber, ordered, risk_level="")
    assert "risk_level" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        assess(prescriber, ordered, decision="maybe")
    assert "decision" in err.value.message_dict
    assert not RiskAssessment.objects.exists()


def test_todays_cssrs_screen_gives_the_risk_level(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    raise_alert(nurse, ordered.patient)
    screen = record_response(
        prescriber,
        ordered.patient,
        "cssrs",
        risk="moderate",
        context="follow_up",
        administered_at=ago(2),
        rater="clinician",
    )
    # The moderate screen raised its own alert: the assessment resolves both.
    assert RiskAlert.objects.filter(patient=ordered.patient, assessment=None).count() == 2
    made = assess(prescriber, ordered, risk_level="", cssrs_response_id=screen.pk)
    assert made.risk_level == "moderate" and made.cssrs_response == screen
    assert not RiskAlert.objects.filter(patient=ordered.patient, assessment=None).exists()
    start(nurse, ordered)


def test_an_alert_raised_after_the_assessment_blocks_again(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    raise_alert(nurse, ordered.patient, minutes_ago=30)
    assess(prescriber, ordered)
    record_response(
        nurse,
        ordered.patient,
        "phq9",
        answers=[2, 2, 2, 2, 2, 2, 2, 2, 2],
        context="follow_up",
        administered_at=ago(1),
        rater="self",
    )
    with pytest.raises(ValidationError):
        start(nurse, ordered)


def test_alerts_raised_before_a_treatment_since_given_no_longer_gate(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    """Only alerts since the patient's last dose wait: older records do not block for ever."""
    from ketaflow.treatments.risk import alerts_awaiting_assessment

    alert = raise_alert(nurse, ordered.patient, minutes_ago=30)
    assess(prescriber, ordered)
    start(nurse, ordered)
    # An alert left unassessed from before a dose that has since been given (a record from
    # before this rule) no longer waits; for the session that dose belongs to, it would.
    RiskAlert.objects.filter(pk=alert.pk).update(assessment=None)
    assert alerts_awaiting_assessment(ordered.patient_id, timezone.now()) == []
    assert [
        a.pk
        for a in alerts_awaiting_assessment(
            ordered.patient_id, timezone.now(), session_id=ordered.pk
        )
    ] == [alert.pk]


def test_the_assessment_is_refused_once_dosing_started(
    ordered: Any, nurse: Any, prescriber: Any
) -> None:
    start(nurse, ordered)
    with pytest.raises(ValidationError):
        assess(prescriber, ordered)


# ---------------------------------------------------------------------------- the API


def test_the_api_refuses_the_start_and_only_a_prescriber_unblocks_it(
    ordered: Any, nurse: Any, prescriber: Any, login: Any
) -> None:
    raise_alert(nurse, ordered.patient)
    as_nurse = login(Client(), nurse)
    url = f"/treatments/{ordered.pk}/events"
    body = {"version": fresh(ordered).version, "kind": "start", "rate_ml_per_h": 52.5}
    refused = call(as_nurse, "post", url, body)
    assert refused.status_code == 422, refused.content
    assert "Suicide risk assessed" in refused.content.decode()
    assessment = {
        "version": fresh(ordered).version,
        "risk_level": "low",
        "plan": "Reviewed; proceed.",
        "decision": "proceed",
    }
    path = f"/portal/sessions/{ordered.pk}/risk-assessment"
    assert call(as_nurse, "post", path, assessment).status_code == 403
    as_prescriber = login(Client(), prescriber)
    made = call(as_prescriber, "post", path, assessment)
    assert made.status_code == 201, made.content
    assert made.json()["resolved_alert_ids"]
    body["version"] = fresh(ordered).version
    assert call(as_nurse, "post", url, body).status_code == 200


def test_the_api_refuses_an_assessment_without_a_plan(
    ordered: Any, nurse: Any, prescriber: Any, login: Any
) -> None:
    raise_alert(nurse, ordered.patient)
    as_prescriber = login(Client(), prescriber)
    path = f"/portal/sessions/{ordered.pk}/risk-assessment"
    body = {"version": fresh(ordered).version, "risk_level": "low", "decision": "proceed"}
    assert call(as_prescriber, "post", path, {**body, "plan": ""}).status_code == 422
    stale = call(as_prescriber, "post", path, {**body, "plan": "x", "version": 1})
    assert stale.status_code == 409


PERSONAS = ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]
EXPECT = {
    "anonymous": 401,
    "front_desk": 403,
    "nurse": 403,
    "prescriber": 201,
    "clinic_admin": 403,
    "researcher": 403,
    "outsider": 404,
}


@pytest.mark.parametrize("persona", ["anonymous", *PERSONAS])
def test_risk_assessment_endpoint_for_every_persona(
    persona: str, personas: dict[str, Any], ordered: Any, nurse: Any, login: Any
) -> None:
    """The portal API's persona row for POST /portal/sessions/{id}/risk-assessment."""
    raise_alert(nurse, ordered.patient)
    client = Client() if persona == "anonymous" else login(Client(), personas[persona])
    body = {
        "version": fresh(ordered).version,
        "risk_level": "low",
        "plan": "Reviewed.",
        "decision": "proceed",
    }
    response = call(client, "post", f"/portal/sessions/{ordered.pk}/risk-assessment", body)
    assert response.status_code == EXPECT[persona], response.content


# ---------------------------------------------------------------------------- the pages


def test_the_page_form_records_the_assessment_and_goes_back_to_the_session(
    ordered: Any, nurse: Any, prescriber: Any, login: Any
) -> None:
    raise_alert(nurse, ordered.patient)
    as_nurse = login(Client(), nurse)
    url = f"/p/staff/sessions/{ordered.pk}/risk-assessment/"
    post = {
        "version": fresh(ordered).version,
        "risk_level": "low",
        "plan": "Reviewed.",
        "decision": "proceed",
    }
    assert as_nurse.post(url, post).status_code == 403
    as_prescriber = login(Client(), prescriber)
    missing = as_prescriber.post(url, {**post, "plan": ""})
    assert missing.status_code == 200 and not RiskAssessment.objects.exists()
    done = as_prescriber.post(url, post)
    assert done.status_code == 302
    assert done["Location"] == f"/treatments/{ordered.pk}/#checklist"
    assert RiskAssessment.objects.get().decision == "proceed"


PAGE_EXPECT = {
    "anonymous": 302,  # to the sign-in page
    "front_desk": 403,
    "nurse": 403,
    "prescriber": 200,
    "clinic_admin": 403,
    "researcher": 403,
    "outsider": 404,
}


@pytest.mark.parametrize("persona", ["anonymous", *PERSONAS])
def test_risk_assessment_page_for_every_persona(
    persona: str, personas: dict[str, Any], ordered: Any, nurse: Any, login: Any
) -> None:
    """The staff page's persona row: GET /p/staff/sessions/{id}/risk-assessment/ and its POST."""
    raise_alert(nurse, ordered.patient)
    client = Client() if persona == "anonymous" else login(Client(), personas[persona])
    url = f"/p/staff/sessions/{ordered.pk}/risk-assessment/"
    assert client.get(url).status_code == PAGE_EXPECT[persona]
    post = {
        "version": fresh(ordered).version,
        "risk_level": "low",
        "plan": "Reviewed.",
        "decision": "defer",
    }
    expected = 302 if persona == "prescriber" else PAGE_EXPECT[persona]
    assert client.post(url, post).status_code == expected
    assert RiskAssessment.objects.exists() == (persona == "prescriber")
