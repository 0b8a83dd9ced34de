"""Small shared pieces of the mappings: building through fhir.resources, times, references.

Every resource leaves through `build`, which constructs it with the fhir.resources R4B model
(so a structural mistake fails here, in tests, not at a receiving system) and returns the
model; `to_json` is the one serialisation used by the API, the CLI and the bulk export.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel as Resource

from ketaflow.fhir import codes, ids


def build(data: dict[str, Any]) -> Resource:
    """Construct (and so validate) an R4B resource from plain JSON-shaped data."""
    model = get_fhir_model_class(data["resourceType"])
    return model.model_validate(data)


def to_json(resource: Resource) -> dict[str, Any]:
    """The resource as FHIR JSON (no empty elements)."""
    out: dict[str, Any] = json.loads(resource.model_dump_json(exclude_none=True))
    return out


def instant(value: datetime) -> str:
    """An aware datetime as FHIR dateTime in UTC (seconds precision is enough here)."""
    if value.tzinfo is None:
        raise ValueError("FHIR times need a time zone")
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def day(value: date) -> str:
    return value.isoformat()


def ref(resource_type: str, resource_id: str, display: str | None = None) -> dict[str, str]:
    out = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def patient_ref(patient_pk: int) -> dict[str, str]:
    return ref("Patient", ids.make("pat", patient_pk))


def encounter_ref(session_pk: int) -> dict[str, str]:
    return ref("Encounter", ids.make("enc", session_pk))


def quantity(value: float, unit: str) -> dict[str, Any]:
    """A UCUM quantity; the unit must be allow-listed."""
    codes.coding(codes.UCUM, unit)
    return {"value": round(float(value), 3), "unit": unit, "system": codes.UCUM, "code": unit}


def text_concept(text: str) -> dict[str, str]:
    return {"text": text}


def person(user: Any) -> dict[str, str] | None:
    """A member of staff as a display-only Reference (Practitioners are not exported)."""
    if user is None:
        return None
    return {"display": str(user.display_name)}


def status_of(record: Any) -> str:
    """The chart's RecordStatus value of a ClinicalRecord."""
    return str(record.status)


def in_error(record: Any) -> bool:
    return status_of(record) == "entered_in_error"
