"""The kinds of chart entry, in one table: model, who may write it, which fields a user edits.

Services, forms, pages and the API all read this table, so a new kind of entry is added once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ketaflow.accounts.roles import Capability
from ketaflow.patients.models import (
    Allergy,
    Diagnosis,
    HistoryItem,
    Measurement,
    Medication,
    PregnancyRecord,
    PriorTreatment,
)


@dataclass(frozen=True)
class EntryKind:
    slug: str
    model: type[Any]  # a ClinicalRecord subclass with a `patient` foreign key
    write_capability: str
    fields: tuple[str, ...]
    title: str


ENTRY_KINDS: dict[str, EntryKind] = {
    k.slug: k
    for k in (
        EntryKind(
            "diagnoses",
            Diagnosis,
            Capability.EDIT_DIAGNOSES,
            ("code", "other_code", "description", "is_primary", "onset", "notes"),
            "Diagnoses",
        ),
        EntryKind(
            "history",
            HistoryItem,
            Capability.EDIT_CLINICAL,
            ("condition", "presence", "onset", "notes"),
            "Psychiatric and medical history",
        ),
        EntryKind(
            "medications",
            Medication,
            Capability.EDIT_CLINICAL,
            (
                "name",
                "dose",
                "classes",
                "diazepam_equivalent_mg_per_day",
                "started_on",
                "stopped_on",
            ),
            "Medications",
        ),
        EntryKind(
            "prior-treatments",
            PriorTreatment,
            Capability.EDIT_CLINICAL,
            ("kind", "name", "adequate", "outcome", "started_on", "ended_on", "notes"),
            "Prior anxiety treatments",
        ),
        EntryKind(
            "allergies",
            Allergy,
            Capability.EDIT_CLINICAL,
            ("no_known_allergies", "substance", "reaction", "severity"),
            "Allergies",
        ),
        EntryKind(
            "measurements",
            Measurement,
            Capability.EDIT_CLINICAL,
            ("kind", "entered_value", "entered_unit", "measured_on"),
            "Weight and height",
        ),
        EntryKind(
            "pregnancy",
            PregnancyRecord,
            Capability.EDIT_CLINICAL,
            ("observed_on", "pregnancy_status", "test_done", "test_positive"),
            "Pregnancy status",
        ),
    )
}


def entry_kind(slug: str) -> EntryKind:
    try:
        return ENTRY_KINDS[slug]
    except KeyError:
        raise LookupError(f"no chart entry kind {slug!r}") from None


def kind_of(record: Any) -> EntryKind:
    for kind in ENTRY_KINDS.values():
        if isinstance(record, kind.model):
            return kind
    raise LookupError(f"{type(record).__name__} is not a chart entry")
