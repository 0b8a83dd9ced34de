"""Every code system and code Ketaflow writes into FHIR, in one allow-list table.

fhir.resources checks structure and cardinality but not terminology: a misspelt status or a
LOINC code from memory would pass it silently. So nothing coded is written except through
`coding()` / `allowed_code()`, which refuse anything not in these tables, and the tests walk
every exported resource to check each `system`/`code` pair (and each bound plain `code`)
against them. Each entry says where it comes from:

- LOINC, UCUM vital-sign units: `/work/shared/reference/clinical.md` §8 and the LOINC codes
  the clinical core carries on its instruments (`ketaflow.clinical.instruments`), read from
  the core at import time so the two can never drift apart;
- SNOMED CT route codes: the FHIR R4B example value set "SNOMED CT Route Codes";
- HL7 terminology (status and category code systems): the R4B specification's required
  bindings for the elements they fill.

Codes the reference marks UNVERIFIED (RxNorm ketamine, SNOMED ketamine substance) are *not*
here; those concepts are sent as text only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ketaflow.clinical.instruments import INSTRUMENTS, ItemInstrument
from ketaflow.clinical.routes import Route

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UNII = "http://fdasis.nlm.nih.gov"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"


class UnlistedCode(ValueError):
    """A code that is not in the allow-list: a programming error, never sent."""


@dataclass(frozen=True)
class Code:
    code: str
    display: str
    source: str


def _table(source: str, *pairs: tuple[str, str]) -> dict[str, Code]:
    return {code: Code(code, display, source) for code, display in pairs}


REFERENCE = "reference clinical.md §8"


def _instrument_loinc() -> dict[str, Code]:
    """Panel, total, item and answer codes exactly as the clinical core carries them."""
    found: dict[str, Code] = {}
    for instrument in INSTRUMENTS.values():
        source = f"core instrument {instrument.code}"
        # No display for panel, total and item codes: the core holds our short labels, not
        # LOINC's names, and a wrong display is worse than none. Answer labels are LOINC's.
        for code in (instrument.loinc_panel, instrument.loinc_total):
            if code:
                found[code] = Code(code, "", source)
        if isinstance(instrument, ItemInstrument):
            for item in instrument.items:
                if item.loinc:
                    found[item.loinc] = Code(item.loinc, "", source)
                for option in item.options:
                    if option.loinc:
                        found[option.loinc] = Code(option.loinc, option.label, source)
    return found


VITAL_LOINC = _table(
    REFERENCE,
    ("85354-9", "Blood pressure panel with all children optional"),
    ("8480-6", "Systolic blood pressure"),
    ("8462-4", "Diastolic blood pressure"),
    ("8867-4", "Heart rate"),
    ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
    ("9279-1", "Respiratory rate"),
    ("29463-7", "Body weight"),
    ("8302-2", "Body height"),
)

# SNOMED CT route of administration (R4B value set "SNOMED CT Route Codes").
ROUTE_CODES: Mapping[Route, Code] = MappingProxyType(
    {
        Route.IV: Code("47625008", "Intravenous route", "FHIR R4B SNOMED CT Route Codes"),
        Route.SC: Code("34206005", "Subcutaneous route", "FHIR R4B SNOMED CT Route Codes"),
        Route.IM: Code("78421000", "Intramuscular route", "FHIR R4B SNOMED CT Route Codes"),
        Route.ORAL: Code("26643006", "Oral route", "FHIR R4B SNOMED CT Route Codes"),
        Route.INTRANASAL: Code("46713006", "Nasal route", "FHIR R4B SNOMED CT Route Codes"),
    }
)

SPEC = "FHIR R4B required binding"

#: system → code → Code: the only codings Ketaflow writes.
ALLOWED_CODINGS: Mapping[str, Mapping[str, Code]] = MappingProxyType(
    {
        LOINC: MappingProxyType({**VITAL_LOINC, **_instrument_loinc()}),
        UCUM: MappingProxyType(
            _table(
                REFERENCE + " (UCUM units of the vital signs)",
                ("mm[Hg]", "millimeter of mercury"),
                ("/min", "per minute"),
                ("%", "percent"),
                ("kg", "kilogram"),
                ("cm", "centimeter"),
                ("mg", "milligram"),
                ("mg/min", "milligram per minute"),
            )
        ),
        SNOMED: MappingProxyType({c.code: c for c in ROUTE_CODES.values()}),
        UNII: MappingProxyType(
            _table(
                REFERENCE + " (Ketamine HCl UNII, S43)", ("O18YUO0I83", "Ketamine hydrochloride")
            )
        ),
        V2_0203: MappingProxyType(_table("HL7 v2 table 0203", ("MR", "Medical record number"))),
        ACT_CODE: MappingProxyType(_table(SPEC + " Encounter.class", ("AMB", "ambulatory"))),
        OBSERVATION_CATEGORY: MappingProxyType(
            _table(SPEC, ("vital-signs", "Vital Signs"), ("survey", "Survey"))
        ),
        CONDITION_CLINICAL: MappingProxyType(
            _table(SPEC, ("active", "Active"), ("inactive", "Inactive"))
        ),
        CONDITION_VERIFICATION: MappingProxyType(
            _table(SPEC, ("confirmed", "Confirmed"), ("entered-in-error", "Entered in Error"))
        ),
        CONDITION_CATEGORY: MappingProxyType(
            _table(SPEC, ("problem-list-item", "Problem List Item"))
        ),
        ALLERGY_CLINICAL: MappingProxyType(
            _table(SPEC, ("active", "Active"), ("inactive", "Inactive"))
        ),
        ALLERGY_VERIFICATION: MappingProxyType(
            _table(SPEC, ("confirmed", "Confirmed"), ("entered-in-error", "Entered in Error"))
        ),
        CONSENT_SCOPE: MappingProxyType(_table(SPEC, ("treatment", "Treatment"))),
    }
)

# ICD-10-CM: the chart's own coded diagnoses (`patients.codes.DiagnosisCode`), read lazily
# because that module is Django's (TextChoices). Codes typed under "Other" are not listed
# and so go out as text only.


def icd10cm_codes() -> Mapping[str, Code]:
    from ketaflow.patients.codes import DiagnosisCode

    return {
        str(c.value): Code(str(c.value), str(c.label).split(" ", 1)[1], "patients.codes")
        for c in DiagnosisCode
        if c.value != DiagnosisCode.OTHER
    }


def allowed_codes(system: str) -> Mapping[str, Code]:
    if system == ICD10CM:
        return icd10cm_codes()
    return ALLOWED_CODINGS.get(system, {})


def is_allowed(system: str, code: str) -> bool:
    return code in allowed_codes(system)


def coding(system: str, code: str, *, display: bool = True) -> dict[str, str]:
    """A Coding, refused unless the pair is allow-listed; display from the table."""
    table = allowed_codes(system)
    if code not in table:
        raise UnlistedCode(f"{system}|{code} is not in Ketaflow's FHIR allow-list")
    out = {"system": system, "code": code}
    if display and table[code].display:
        out["display"] = table[code].display
    return out


def concept(system: str, code: str, text: str | None = None) -> dict[str, object]:
    """A CodeableConcept with one allow-listed Coding (and optional text)."""
    out: dict[str, object] = {"coding": [coding(system, code)]}
    if text:
        out["text"] = text
    return out


#: (resource type, element) → allowed values of a plain `code` element bound by the spec.
BOUND_CODES: Mapping[tuple[str, str], frozenset[str]] = MappingProxyType(
    {
        ("Patient", "gender"): frozenset({"male", "female", "other", "unknown"}),
        ("Identifier", "use"): frozenset({"usual"}),
        ("HumanName", "use"): frozenset({"official", "usual"}),
        ("ContactPoint", "system"): frozenset({"phone", "email"}),
        ("MedicationStatement", "status"): frozenset(
            {"active", "completed", "stopped", "entered-in-error"}
        ),
        ("AllergyIntolerance", "reaction.severity"): frozenset({"mild", "moderate", "severe"}),
        ("Consent", "status"): frozenset({"active", "inactive", "entered-in-error"}),
        ("Consent", "provision.type"): frozenset({"permit"}),
        ("Questionnaire", "status"): frozenset({"active"}),
        ("Questionnaire", "item.type"): frozenset({"choice", "integer", "string", "boolean"}),
        ("QuestionnaireResponse", "status"): frozenset({"completed", "entered-in-error"}),
        ("Observation", "status"): frozenset({"final", "entered-in-error"}),
        ("Encounter", "status"): frozenset({"arrived", "in-progress", "finished"}),
        ("Procedure", "status"): frozenset({"preparation", "in-progress", "completed", "not-done"}),
        ("MedicationAdministration", "status"): frozenset(
            {"in-progress", "completed", "entered-in-error"}
        ),
        ("MedicationDispense", "status"): frozenset({"completed", "entered-in-error"}),
        ("Bundle", "type"): frozenset({"collection", "searchset"}),
        ("Bundle", "entry.search.mode"): frozenset({"match"}),
        ("OperationOutcome", "issue.severity"): frozenset({"error", "warning", "information"}),
        ("OperationOutcome", "issue.code"): frozenset(
            {
                "invalid",
                "structure",
                "required",
                "value",
                "not-found",
                "forbidden",
                "not-supported",
                "duplicate",
                "business-rule",
                "processing",
                "security",
                "informational",
                "login",
            }
        ),
    }
)


def allowed_code(resource: str, element: str, value: str) -> str:
    """A bound plain code, refused unless listed for that element."""
    if value not in BOUND_CODES.get((resource, element), frozenset()):
        raise UnlistedCode(f"{resource}.{element} = {value!r} is not in the allow-list")
    return value
