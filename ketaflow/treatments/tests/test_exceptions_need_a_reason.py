"""An early stop, a long pause, an alert acknowledgement and signing with exceptions need a reason.

The service refuses without one; the page and the API refuse the same; the reason is kept on
the line / acknowledgement / attestation, and the signing summary lists every exception.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaflow.audit.models import AccessEvent
from ketaflow.lib.tests.api_client import call
from ketaflow.treatments import derive, services
from ketaflow.treatments.models import AdministrationEvent, AlertAck, SigningAttestation
from ketaflow.treatments.tests.conftest import ago, fresh, make_discharge_ready

pytestmark = pytest.mark.django_db

RATE = 52.5  # mL/h at 1 mg/mL: 35 mg over 40 min


def _event(nurse: Any, s: Any, kind: str, minutes_ago: float, **extra: Any) -> Any:
    return services.record_administration(
        nurse, s, fresh(s).version, kind=kind, at=ago(minutes_ago), **extra
    )


def _discharge(nurse: Any, s: Any) -> Any:
    session = make_discharge_ready(nurse, fresh(s))
    services.record_discharge(
        nurse,
        session,
        fresh(session).version,
        aldrete_score=10,
        dissociation_resolved=True,
        escort_present=True,
        told_not_to_drive=True,
        discharge=True,
    )
    return fresh(session)


@pytest.fixture
def stopped_early(ordered: Any, nurse: Any) -> Any:
    """Started 110 min ago, stopped after 20 of 40 min (17.5 of 35 mg) for a reason."""
    _event(nurse, ordered, "start", 110, rate_ml_per_h=RATE)
    _event(nurse, ordered, "stop", 90, reason="patient distressed by dissociation")
    return fresh(ordered)


# ---------------------------------------------------------------------------- stop and pause


def test_stopping_before_the_ordered_dose_without_a_reason_is_refused(
    ordered: Any, nurse: Any
) -> None:
    _event(nurse, ordered, "start", 30, rate_ml_per_h=RATE)
    version = fresh(ordered).version
    with pytest.raises(ValidationError) as exc:
        _event(nurse, ordered, "stop", 10)
    message = exc.value.message_dict["reason"][0]
    assert "17.5 mg of the 35.0 mg ordered" in message
    assert fresh(ordered).version == version and not ordered.events.filter(kind="stop").exists()


def test_the_reason_for_an_early_stop_is_kept_on_the_line_and_audited(
    stopped_early: Any,
) -> None:
    stop = stopped_early.events.get(kind="stop")
    assert stop.reason == "patient distressed by dissociation"
    audit = AccessEvent.objects.filter(
        object_type="treatments.AdministrationEvent", object_id=str(stop.pk)
    ).get()
    assert audit.detail["reason"] == "patient distressed by dissociation"


def test_stopping_at_the_ordered_dose_needs_no_reason(ordered: Any, nurse: Any) -> None:
    _event(nurse, ordered, "start", 50, rate_ml_per_h=RATE)
    _event(nurse, ordered, "stop", 10)
    assert fresh(ordered).status == "observing"


def test_resuming_after_a_pause_longer_than_allowed_needs_a_reason(
    ordered: Any, nurse: Any
) -> None:
    _event(nurse, ordered, "start", 40, rate_ml_per_h=RATE)
    _event(nurse, ordered, "pause", 30)
    with pytest.raises(ValidationError, match="longer than the 10 min the protocol allows"):
        _event(nurse, ordered, "resume", 15)
    _event(nurse, ordered, "resume", 15, reason="vomited; resumed once settled")
    resume = AdministrationEvent.objects.get(session=ordered, kind="resume")
    assert resume.reason == "vomited; resumed once settled"


def test_a_short_pause_needs_no_reason(ordered: Any, nurse: Any) -> None:
    _event(nurse, ordered, "start", 40, rate_ml_per_h=RATE)
    _event(nurse, ordered, "pause", 30)
    _event(nurse, ordered, "resume", 25)
    assert fresh(ordered).events.filter(kind="resume").exists()


def test_the_page_refuses_an_early_stop_without_a_reason(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    _event(nurse, ordered, "start", 30, rate_ml_per_h=RATE)
    c = login(client, nurse)
    url = reverse("treatments:act", args=[ordered.pk, "event"])
    r = c.post(url, {"version": fresh(ordered).version, "kind": "stop"}, follow=True)
    assert "Say why: the infusion is stopped at" in r.content.decode()
    assert not fresh(ordered).events.filter(kind="stop").exists()
    c.post(url, {"version": fresh(ordered).version, "kind": "stop", "reason": "BP 190/115"})
    assert fresh(ordered).events.get(kind="stop").reason == "BP 190/115"


def test_the_api_refuses_an_early_stop_without_a_reason(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    _event(nurse, ordered, "start", 30, rate_ml_per_h=RATE)
    login(client, nurse)
    path = f"/treatments/{ordered.pk}/events"
    r = call(client, "POST", path, {"version": fresh(ordered).version, "kind": "stop"})
    assert r.status_code == 422 and "Say why" in r.content.decode()
    body = {"version": fresh(ordered).version, "kind": "stop", "reason": "BP 190/115"}
    r = call(client, "POST", path, body)
    assert r.status_code == 200
    assert [e["reason"] for e in r.json()["events"] if e["kind"] == "stop"] == ["BP 190/115"]
    assert fresh(ordered).events.get(kind="stop").reason == "BP 190/115"


# ---------------------------------------------------------------------------- alert acks


@pytest.fixture
def bp_alert(ordered: Any, nurse: Any) -> tuple[Any, Any, str]:
    _event(nurse, ordered, "start", 110, rate_ml_per_h=RATE)
    reading, alerts = services.record_vitals(
        nurse,
        ordered,
        fresh(ordered).version,
        sbp=185,
        dbp=112,
        hr=96,
        spo2=97,
        rr=16,
        taken_at=ago(100),
    )
    critical = next(a for a in alerts if a.level.label == "critical")
    return fresh(ordered), reading, critical.code


def test_acknowledging_a_critical_alert_without_the_action_taken_is_refused(
    nurse: Any, bp_alert: tuple[Any, Any, str]
) -> None:
    s, reading, code = bp_alert
    with pytest.raises(ValidationError, match="the action taken"):
        services.acknowledge_alert(nurse, s, fresh(s).version, reading.pk, code, "  ")
    assert not AlertAck.objects.exists()
    services.acknowledge_alert(nurse, s, fresh(s).version, reading.pk, code, "paused, rechecked")
    assert AlertAck.objects.get().note == "paused, rechecked"


def test_the_page_and_the_api_refuse_an_acknowledgement_without_the_action_taken(
    client: Any, login: Any, nurse: Any, bp_alert: tuple[Any, Any, str]
) -> None:
    s, reading, code = bp_alert
    c = login(client, nurse)
    body = {"version": fresh(s).version, "reading_id": reading.pk, "code": code}
    r = c.post(reverse("treatments:act", args=[s.pk, "ack"]), body, follow=True)
    assert "the action taken" in r.content.decode()
    r = call(client, "POST", f"/treatments/{s.pk}/alerts/ack", body)
    assert r.status_code == 422 and "the action taken" in r.content.decode()
    assert not AlertAck.objects.exists()
    r = call(client, "POST", f"/treatments/{s.pk}/alerts/ack", {**body, "note": "called Dr P"})
    assert r.status_code == 200 and AlertAck.objects.get().note == "called Dr P"


# ---------------------------------------------------------------------------- signing


def test_signing_with_an_exception_needs_an_attestation_kept_with_who_and_when(
    stopped_early: Any, nurse: Any, prescriber: Any
) -> None:
    s = _discharge(nurse, stopped_early)
    with pytest.raises(ValidationError) as exc:
        services.sign_session(prescriber, s, s.version)
    assert "write your attestation" in exc.value.message_dict["attestation"][0]
    assert fresh(s).status == "discharged"
    services.sign_session(prescriber, s, fresh(s).version, "Early stop reviewed; plan 0.4 mg/kg")
    att = SigningAttestation.objects.get(session=s)
    assert att.by == prescriber and att.at == fresh(s).signed_at
    assert att.text == "Early stop reviewed; plan 0.4 mg/kg"
    assert [e["code"] for e in att.exceptions] == ["stop.before_ordered_dose"]
    assert att.exceptions[0]["reason"] == "patient distressed by dissociation"


def test_a_session_without_exceptions_is_signed_without_an_attestation(
    discharged: Any, prescriber: Any
) -> None:
    assert not derive.exception_summary(discharged, ago(0)).requires_attestation
    services.sign_session(prescriber, discharged, discharged.version)
    assert not SigningAttestation.objects.exists()


def test_the_signing_screen_shows_the_summary_and_asks_for_the_attestation(
    client: Any, login: Any, nurse: Any, prescriber: Any, stopped_early: Any
) -> None:
    s = _discharge(nurse, stopped_early)
    c = login(client, prescriber)
    page = c.get(reverse("treatments:session", args=[s.pk])).content.decode()
    assert 'id="signing-summary"' in page and "Stopped at 17.5 mg of 35.0 mg ordered" in page
    assert "patient distressed by dissociation" in page and 'name="attestation"' in page
    url = reverse("treatments:act", args=[s.pk, "sign"])
    r = c.post(url, {"version": s.version}, follow=True)
    assert "write your attestation" in r.content.decode() and fresh(s).status == "discharged"
    c.post(url, {"version": s.version, "attestation": "Reviewed with the patient"})
    assert fresh(s).status == "signed"
    page = c.get(reverse("treatments:session", args=[s.pk])).content.decode()
    assert 'id="attestation-record"' in page and "Reviewed with the patient" in page


def test_the_api_returns_the_summary_and_refuses_to_sign_without_the_attestation(
    client: Any, login: Any, nurse: Any, prescriber: Any, stopped_early: Any
) -> None:
    s = _discharge(nurse, stopped_early)
    login(client, prescriber)
    summary = call(client, "GET", f"/treatments/{s.pk}/signing-summary").json()
    assert summary["requires_attestation"] is True
    assert summary["max_pause_minutes"] == 10 and summary["max_pause_needs_local_signoff"]
    [item] = summary["exceptions"]
    assert item["kind"] == "early_stop" and item["reason"] == "patient distressed by dissociation"
    r = call(client, "POST", f"/treatments/{s.pk}/sign", {"version": s.version})
    assert r.status_code == 422 and "attestation" in r.content.decode()
    body = {"version": s.version, "attestation": "Reviewed"}
    r = call(client, "POST", f"/treatments/{s.pk}/sign", body)
    assert r.status_code == 200
    assert r.json()["attestation"]["text"] == "Reviewed"
    assert r.json()["attestation"]["exceptions"][0]["code"] == "stop.before_ordered_dose"
