"""Audit rows as FHIR R4B AuditEvent, after IHE Basic Audit Log Patterns (BALP).

One `audit.AccessEvent` → one AuditEvent:

- `type`/`subtype`: a RESTful interaction (`rest` + read / search-type / create / update) for
  reads and writes of records, DICOM User Authentication + Login / Logout for sign-ins and
  sign-outs, DICOM Export for exports;
- `action` C/R/U/D/E, `recorded` (the row's time), `outcome` 0 (success) or 4 (a refused access
  or failed sign-in, with `outcomeDesc`);
- `agent`: the person (who: their user id and name as recorded, `requestor`), the client
  (Source Role ID, with its network address) and the server (Destination Role ID);
- `source`: Ketaflow as the observing application server, at the clinic's site;
- `entity`: the Patient (BALP's patient slice: Person / Patient), the record acted on (System
  Object / Domain Resource, named by its Ketaflow type and id) and the request id (BALP's
  X-Request-Id entity).

`meta.profile` names the BALP profile the event follows (PatientRead, PatientQuery,
PatientCreate, PatientUpdate, or Read / Query / Create / Update without a patient; Login,
Logout). The row's hash-chain place and hash go in an extension, so an exported trail can be
checked against the database's chain.
"""

from __future__ import annotations

from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel as Resource

from ketaflow.audit.models import AccessEvent, Action
from ketaflow.fhir.resources_common import build, instant, patient_ref

BALP = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit."
DCM = "http://dicom.nema.org/resources/ontology/DCM"
EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
BALP_ENTITY = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
KETAFLOW = "urn:ketaflow"
CHAIN_EXTENSION = "urn:ketaflow:fhir:StructureDefinition/audit-chain"

_REST = {"system": EVENT_TYPE, "code": "rest", "display": "Restful Operation"}
_AUTH = {"system": DCM, "code": "110114", "display": "User Authentication"}
_EXPORT = {"system": DCM, "code": "110106", "display": "Export"}


def _rest(code: str) -> dict[str, str]:
    return {"system": RESTFUL, "code": code, "display": code}


#: action → (type, subtype, FHIR action, BALP profile with a patient, without one)
_KINDS: dict[str, tuple[dict[str, str], dict[str, str], str, str | None, str | None]] = {
    Action.VIEW: (_REST, _rest("read"), "R", "PatientRead", "Read"),
    Action.LIST: (_REST, _rest("search-type"), "E", "PatientQuery", "Query"),
    Action.SEARCH: (_REST, _rest("search-type"), "E", "PatientQuery", "Query"),
    Action.CREATE: (_REST, _rest("create"), "C", "PatientCreate", "Create"),
    Action.UPDATE: (_REST, _rest("update"), "U", "PatientUpdate", "Update"),
    Action.AMEND: (_REST, _rest("update"), "U", "PatientUpdate", "Update"),
    Action.EXPORT: (_EXPORT, _rest("read"), "R", None, None),
    Action.DENIED: (_REST, _rest("read"), "R", None, None),
    Action.SIGN_IN: (
        _AUTH,
        {"system": DCM, "code": "110122", "display": "Login"},
        "E",
        "Login",
        "Login",
    ),
    Action.SIGN_IN_FAILED: (
        _AUTH,
        {"system": DCM, "code": "110122", "display": "Login"},
        "E",
        None,
        None,
    ),
    Action.SIGN_OUT: (
        _AUTH,
        {"system": DCM, "code": "110123", "display": "Logout"},
        "E",
        "Logout",
        "Logout",
    ),
}
_FAILED: dict[str, str] = {
    Action.DENIED: "Access denied",
    Action.SIGN_IN_FAILED: "Sign-in failed",
}


def audit_event_id(event: AccessEvent) -> str:
    return f"audit-{event.pk}"


def audit_event_data(event: AccessEvent, *, site: str) -> dict[str, Any]:
    """The AuditEvent of one audit row, as FHIR JSON-shaped data; `site` names the clinic
    (the source's site)."""
    type_, subtype, action, with_patient, without = _KINDS[event.action]
    failed = event.action in _FAILED
    profile = None if failed else (with_patient if event.patient_id else without)
    user: dict[str, Any] = {
        "type": {"coding": [{"system": PARTICIPATION, "code": "IRCP",
                             "display": "information recipient"}]},
        "who": {"display": event.actor_label},
        "requestor": True,
    }  # fmt: skip
    if event.actor_id is not None:
        user["who"]["identifier"] = {"system": f"{KETAFLOW}:user", "value": str(event.actor_id)}
    client: dict[str, Any] = {
        "type": {"coding": [{"system": DCM, "code": "110153", "display": "Source Role ID"}]},
        "who": {"display": event.user_agent or event.channel},
        "requestor": False,
    }
    if event.ip_address:
        client["network"] = {"address": event.ip_address, "type": "2"}
    server = {
        "type": {"coding": [{"system": DCM, "code": "110152", "display": "Destination Role ID"}]},
        "who": {"display": "Ketaflow"},
        "requestor": False,
    }
    if event.path:
        server["network"] = {"address": event.path, "type": "5"}
    entities: list[dict[str, Any]] = []
    if event.patient_id is not None:
        entities.append(
            {
                "what": patient_ref(event.patient_id),
                "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
            }
        )
    if event.object_type:
        entities.append(
            {
                "what": {
                    "identifier": {
                        "system": f"{KETAFLOW}:{event.object_type}",
                        "value": event.object_id or "-",
                    },
                    "display": event.object_type,
                },
                "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
                "role": {"system": OBJECT_ROLE, "code": "4", "display": "Domain Resource"},
            }
        )
    if event.request_id:
        entities.append(
            {
                "what": {"identifier": {"value": event.request_id}},
                "type": {"system": BALP_ENTITY, "code": "XrequestId", "display": "X-Request-Id"},
            }
        )
    data: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": audit_event_id(event),
        "type": type_,
        "subtype": [subtype],
        "action": action,
        "recorded": instant(event.at),
        "outcome": "4" if failed else "0",
        "agent": [user, client, server],
        "source": {
            "site": site,
            "observer": {"display": "Ketaflow"},
            "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}],
        },
    }
    if profile is not None:
        data["meta"] = {"profile": [BALP + profile]}
    if failed:
        data["outcomeDesc"] = _FAILED[event.action]
    if entities:
        data["entity"] = entities
    if event.seq is not None:
        data["extension"] = [
            {
                "url": CHAIN_EXTENSION,
                "extension": [
                    {"url": "seq", "valueString": str(event.seq)},
                    {"url": "prevHash", "valueString": event.prev_hash or "-"},
                    {"url": "rowHash", "valueString": event.row_hash},
                ],
            }
        ]
    return data


def audit_event(event: AccessEvent, *, site: str) -> Resource:
    """The AuditEvent of one audit row, built (and so validated) by fhir.resources R4B."""
    return build(audit_event_data(event, site=site))
