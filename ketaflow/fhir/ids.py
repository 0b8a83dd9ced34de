"""Resource ids: `<prefix>-<primary key>`, so a read can find the record behind any id.

The prefix names the table (a Patient `pat-12`, a blood-pressure Observation `vs-40-bp`), so
ids never collide across tables and stay the same between exports. The canonical base and the
per-clinic MRN system come from settings (`KETAFLOW_FHIR_BASE`), defaulting to a Ketaflow URL:
a deployment that exchanges data should keep its base stable once chosen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

DEFAULT_BASE = "https://ketaflow.org/fhir"

#: prefix → (resource type it names, what the number is the primary key of)
PREFIXES: dict[str, tuple[str, str]] = {
    "pat": ("Patient", "patient"),
    "dx": ("Condition", "diagnosis"),
    "med": ("MedicationStatement", "medication"),
    "alg": ("AllergyIntolerance", "allergy"),
    "consent": ("Consent", "consent signature"),
    "qr": ("QuestionnaireResponse", "instrument response"),
    "score": ("Observation", "instrument response"),
    "vs": ("Observation", "vitals reading"),
    "rbp": ("Observation", "screening resting blood pressure"),
    "meas": ("Observation", "weight/height measurement"),
    "enc": ("Encounter", "treatment session"),
    "proc": ("Procedure", "treatment session"),
    "mai": ("MedicationAdministration", "treatment session (the infusion)"),
    "mae": ("MedicationAdministration", "administration event (a bolus or a struck line)"),
    "hdd": ("MedicationStatement", "home dose diary entry (patient-reported)"),
    "mdisp": ("MedicationDispense", "take-home supply (dispensing)"),
}

_ID = re.compile(r"^(?P<prefix>[a-z]+)-(?P<pk>[1-9][0-9]{0,17})(?:-(?P<part>[a-z0-9]+))?$")


def base_url() -> str:
    return str(getattr(settings, "KETAFLOW_FHIR_BASE", DEFAULT_BASE)).rstrip("/")


def mrn_system(clinic_slug: str) -> str:
    """The identifier system of one clinic's MRNs (MRNs are unique per clinic only)."""
    return f"{base_url()}/clinic/{clinic_slug}/mrn"


def questionnaire_url(instrument_code: str) -> str:
    return f"{base_url()}/Questionnaire/{instrument_code}"


def make(prefix: str, pk: int, part: str = "") -> str:
    assert prefix in PREFIXES, prefix
    return f"{prefix}-{pk}" + (f"-{part}" if part else "")


@dataclass(frozen=True)
class ParsedId:
    prefix: str
    pk: int
    part: str


def parse(resource_type: str, value: str) -> ParsedId | None:
    """The table and key behind an id of `resource_type`; None if it cannot be one of ours."""
    match = _ID.match(value)
    if match is None or match["prefix"] not in PREFIXES:
        return None
    if PREFIXES[match["prefix"]][0] != resource_type:
        return None
    return ParsedId(match["prefix"], int(match["pk"]), match["part"] or "")
