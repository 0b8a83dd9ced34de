"""Reads of the chart, scoped to the acting user's clinic and role, and audited."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.patients.entries import ENTRY_KINDS, entry_kind
from ketaflow.patients.models import Allergy, Measurement, Patient


def _scoped(actor: User) -> QuerySet[Patient]:
    if not actor.can(Capability.VIEW_PATIENT_LIST):
        raise PermissionDenied("Your role cannot see patient records.")
    return Patient.objects.filter(clinic_id=actor.clinic_pk)


def search_patients(actor: User, query: str = "", *, limit: int = 50) -> list[Patient]:
    """Patients of the actor's clinic matching a name, MRN or date of birth (YYYY-MM-DD)."""
    qs = _scoped(actor)
    query = query.strip()
    if query:
        terms = Q()
        for word in query.split():
            terms &= (
                Q(given_name__icontains=word)
                | Q(family_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(mrn__icontains=word)
            )
        with contextlib.suppress(ValueError):
            terms |= Q(date_of_birth=date.fromisoformat(query))
        qs = qs.filter(terms)
    patients = list(qs.order_by("family_name", "given_name")[:limit])
    record_event(
        actor=actor,
        action=Action.SEARCH if query else Action.LIST,
        detail={"query": query, "patient_ids": [p.pk for p in patients]},
    )
    return patients


def get_patient(actor: User, patient_id: int, *, audit: bool = True) -> Patient:
    """One patient's demographics. Another clinic's patient is 'not found', not 'forbidden'."""
    try:
        patient = _scoped(actor).get(pk=patient_id)
    except Patient.DoesNotExist:
        raise Http404("No such patient in your clinic.") from None
    if audit:
        record_event(actor=actor, action=Action.VIEW, obj=patient, detail={"part": "demographics"})
    return patient


@dataclass(frozen=True)
class Chart:
    patient: Patient
    entries: dict[str, list[Any]]
    latest_weight_kg: Decimal | None
    latest_height_cm: Decimal | None

    @property
    def bmi(self) -> Decimal | None:
        if not self.latest_weight_kg or not self.latest_height_cm:
            return None
        metres = self.latest_height_cm / 100
        return (self.latest_weight_kg / (metres * metres)).quantize(Decimal("0.1"))

    def active(self, slug: str) -> list[Any]:
        return [e for e in self.entries[slug] if e.status == RecordStatus.ACTIVE]


@dataclass(frozen=True)
class AllergyLine:
    """What the chart says about allergies, in one of three states (never "none" by default).

    `allergies`: the active allergies; `none_known`: the active "no known allergies" entry
    when no allergy is listed; both empty: nobody has recorded anything yet.
    """

    allergies: tuple[Allergy, ...]
    none_known: Allergy | None

    @property
    def recorded(self) -> bool:
        return bool(self.allergies) or self.none_known is not None


def allergy_line(active: list[Allergy]) -> AllergyLine:
    """The allergy line from a patient's active allergy entries (no query; callers read them)."""
    listed = tuple(a for a in active if not a.no_known_allergies)
    none_known = next((a for a in active if a.no_known_allergies), None)
    return AllergyLine(listed, None if listed else none_known)


def get_chart(actor: User, patient_id: int) -> Chart:
    """The clinical chart, for roles that may read it. Audited as a chart view."""
    if not actor.can(Capability.VIEW_CLINICAL):
        raise PermissionDenied("Your role cannot read the clinical chart.")
    patient = get_patient(actor, patient_id, audit=False)
    entries: dict[str, list[Any]] = {}
    for slug, kind in ENTRY_KINDS.items():
        manager = kind.model.objects.filter(patient=patient).select_related("recorded_by")
        entries[slug] = list(manager)
    measurements: list[Measurement] = entries["measurements"]
    live = [m for m in measurements if m.status != RecordStatus.ENTERED_IN_ERROR]
    weight = next((m.value for m in live if m.kind == Measurement.Kind.WEIGHT), None)
    height = next((m.value for m in live if m.kind == Measurement.Kind.HEIGHT), None)
    record_event(actor=actor, action=Action.VIEW, obj=patient, detail={"part": "chart"})
    return Chart(patient, entries, weight, height)


def get_entry(actor: User, kind_slug: str, entry_id: int) -> Any:
    """One chart entry for amending; scoped like the chart."""
    if not actor.can(Capability.VIEW_CLINICAL):
        raise PermissionDenied("Your role cannot read the clinical chart.")
    kind = entry_kind(kind_slug)
    try:
        record = kind.model.objects.select_related("patient").get(
            pk=entry_id, patient__clinic_id=actor.clinic_pk
        )
    except kind.model.DoesNotExist:
        raise Http404("No such entry in your clinic.") from None
    record_event(actor=actor, action=Action.VIEW, obj=record)
    return record


def entry_history(actor: User, record: Any) -> list[Any]:
    """Every earlier version of an entry with who changed it, when and why."""
    if not actor.can(Capability.VIEW_CLINICAL) or record.patient.clinic_id != actor.clinic_id:
        raise PermissionDenied("You cannot read this record's history.")
    return list(record.history.select_related("history_user").order_by("-history_date"))
