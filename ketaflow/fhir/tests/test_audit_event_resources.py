"""Audit rows as FHIR R4B AuditEvent after IHE BALP (`fhir.resources_audit`), each one built
and validated by fhir.resources."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.audit import context
from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import Event, record_event, record_events
from ketaflow.fhir.resources_audit import BALP, audit_event, audit_event_data
from ketaflow.fhir.resources_common import to_json


def _json(event: AccessEvent) -> dict[str, Any]:
    stored = AccessEvent.objects.get(pk=event.pk)
    return to_json(audit_event(stored, site="Riverside Clinic"))


def test_a_chart_read_is_a_balp_patient_read(nurse: Any, patient: Any) -> None:
    token = context.activate(
        context.RequestContext("10.0.0.7", "Firefox", "r" * 32, f"/patients/{patient.pk}/", "web")
    )
    try:
        event = record_event(actor=nurse, action="view", obj=patient, detail={"part": "chart"})
    finally:
        context.reset(token)
    out = _json(event)
    assert out["resourceType"] == "AuditEvent" and out["id"] == f"audit-{event.pk}"
    assert out["meta"]["profile"] == [BALP + "PatientRead"]
    assert out["type"]["code"] == "rest" and out["subtype"][0]["code"] == "read"
    assert (out["action"], out["outcome"]) == ("R", "0")
    assert out["recorded"] == "2026-11-25T10:30:00Z"
    user, client, server = out["agent"]
    assert user["requestor"] is True and user["who"]["display"] == "nina.nurse (nurse)"
    assert user["who"]["identifier"]["value"] == str(nurse.pk)
    assert client["network"] == {"address": "10.0.0.7", "type": "2"}
    assert client["type"]["coding"][0]["code"] == "110153"
    assert server["type"]["coding"][0]["code"] == "110152"
    assert out["source"]["site"] == "Riverside Clinic"
    assert out["source"]["type"][0]["code"] == "4"
    patient_entity, record, request = out["entity"]
    assert patient_entity["what"]["reference"] == f"Patient/pat-{patient.pk}"
    assert (patient_entity["type"]["code"], patient_entity["role"]["code"]) == ("1", "1")
    assert record["what"]["identifier"]["value"] == str(patient.pk)
    assert request["what"]["identifier"]["value"] == "r" * 32
    chain = {e["url"]: e["valueString"] for e in out["extension"][0]["extension"]}
    assert chain == {"seq": "1", "prevHash": "-", "rowHash": event.row_hash}
    assert len(chain["rowHash"]) == 64


@pytest.mark.parametrize(
    ("action", "code", "fhir_action", "profile"),
    [
        ("list", "search-type", "E", "PatientQuery"),
        ("search", "search-type", "E", "PatientQuery"),
        ("create", "create", "C", "PatientCreate"),
        ("update", "update", "U", "PatientUpdate"),
        ("amend", "update", "U", "PatientUpdate"),
    ],
)
def test_record_actions_map_to_restful_interactions(
    nurse: Any, patient: Any, action: str, code: str, fhir_action: str, profile: str
) -> None:
    out = _json(record_event(actor=nurse, action=action, obj=patient))
    assert out["subtype"][0]["code"] == code and out["action"] == fhir_action
    assert out["meta"]["profile"] == [BALP + profile]


def test_without_a_patient_the_plain_profiles_apply(nurse: Any) -> None:
    out = _json(record_event(actor=nurse, action="list", detail={"part": "audit_log"}))
    assert out["meta"]["profile"] == [BALP + "Query"] and "entity" not in out


def test_sign_ins_and_failures(nurse: Any) -> None:
    signed_in, failed, signed_out = record_events(
        [
            Event(nurse, "sign_in"),
            Event(None, "sign_in_failed", actor_label="mallory"),
            Event(nurse, "sign_out"),
        ]
    )
    ok = _json(signed_in)
    assert ok["type"]["code"] == "110114" and ok["subtype"][0]["code"] == "110122"
    assert ok["meta"]["profile"] == [BALP + "Login"] and ok["outcome"] == "0"
    bad = _json(failed)
    assert (bad["outcome"], bad["outcomeDesc"]) == ("4", "Sign-in failed") and "meta" not in bad
    assert "identifier" not in bad["agent"][0]["who"]
    assert _json(signed_out)["subtype"][0]["code"] == "110123"


def test_a_refused_access_is_a_failed_read(outsider: Any, patient: Any) -> None:
    out = _json(record_event(actor=outsider, action="denied", obj=patient))
    assert (out["action"], out["outcome"], out["outcomeDesc"]) == ("R", "4", "Access denied")


def test_an_export_is_a_dicom_export(nurse: Any, patient: Any) -> None:
    out = _json(record_event(actor=nurse, action="export", obj=patient))
    assert out["type"]["code"] == "110106" and out["action"] == "R"


def test_every_action_builds(nurse: Any, patient: Any) -> None:
    from ketaflow.audit.models import Action

    for action in Action.values:
        event = AccessEvent.objects.get(pk=record_event(actor=nurse, action=action, obj=patient).pk)
        assert audit_event_data(event, site="x")["action"] in {"C", "R", "U", "D", "E"}
        audit_event(event, site="x")
