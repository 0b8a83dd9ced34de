"""The protocol a review is judged under, and the eligibility criteria it implies.

For now the built-in protocols of the core (`clinical.protocols.builtin_protocols`); a later
engineer adds the clinic's own protocol versions, which are core `Protocol`s too, so
`criteria_for` and `services.open_review` take any `Protocol`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ketaflow.clinical.eligibility import (
    DEFAULT_DIAGNOSIS_SCOPES,
    OPTIONAL_DIAGNOSIS_SCOPES,
    DiagnosisScope,
    EligibilityCriteria,
)
from ketaflow.clinical.evidence import ClinicDefault
from ketaflow.clinical.protocols import Protocol, builtin, builtin_protocols

DEFAULT_PROTOCOL = "iv-racemic"


def protocol_choices() -> list[tuple[str, str]]:
    return [(code, f"{p.name} (v{p.version})") for code, p in builtin_protocols().items()]


def get_protocol(protocol: str | Protocol) -> Protocol:
    """A built-in protocol by code (ClinicalInputError on `code` if unknown), or as given."""
    return protocol if isinstance(protocol, Protocol) else builtin(protocol)


def criteria_for(protocol: Protocol) -> EligibilityCriteria:
    """The core's criteria with this protocol's entry thresholds and failed-trials count.

    Each entry threshold (instrument code → value) selects the diagnosis scope assessed on that
    instrument; a protocol without thresholds (esketamine per label) keeps the default scopes.
    """
    by_instrument = {
        s.instrument: s for s in (*DEFAULT_DIAGNOSIS_SCOPES, *OPTIONAL_DIAGNOSIS_SCOPES)
    }
    scopes: list[DiagnosisScope] = []
    for code, setting in protocol.entry_thresholds:
        scope = by_instrument.get(code)
        if scope is None:
            continue
        value = setting.effective()
        entry = ClinicDefault(float(value.value), value.sources, value.evidence, value.note)
        scopes.append(replace(scope, entry_above=entry))
    return EligibilityCriteria(
        diagnoses_in_scope=tuple(scopes) or DEFAULT_DIAGNOSIS_SCOPES,
        min_failed_adequate_treatments=protocol.min_failed_adequate_treatments.effective(),
        version=f"{protocol.code} v{protocol.version}",
    )


def criteria_snapshot(criteria: EligibilityCriteria, protocol: Protocol) -> dict[str, Any]:
    """The criteria values a review used, JSON-ready, for the record and for display."""
    return {
        "version": criteria.version,
        "planned_route": protocol.route.value,
        "diagnoses_in_scope": [
            {
                "name": s.name,
                "icd10_prefixes": list(s.icd10_prefixes),
                "instrument": s.instrument,
                "entry_above": s.entry_above.value,
            }
            for s in criteria.diagnoses_in_scope
        ],
        "min_failed_adequate_treatments": criteria.min_failed_adequate_treatments.value,
        "failure_outcomes": sorted(o.value for o in criteria.failure_outcomes),
        "benzodiazepine_caution_above_mg": criteria.benzodiazepine_caution_above_mg.value,
        "bp_exclusion_above": str(criteria.bp_exclusion_above.value),
        "bp_caution_above": str(criteria.bp_caution_above.value),
        "minimum_age": criteria.minimum_age.value,
        "elderly_age": criteria.elderly_age.value,
        "required_clearance": sorted(i.value for i in criteria.required_clearance.value),
        "pregnancy_test_required": criteria.pregnancy_test_required.value,
        "negative_pregnancy_test_settles_days": criteria.negative_pregnancy_test_settles_days.value,
        "urine_toxicology_if_substance_use": criteria.urine_toxicology_if_substance_use.value,
        "severe_hepatic_impairment_excludes_racemic": (
            criteria.severe_hepatic_impairment_excludes_racemic.value
        ),
    }
