"""Reads of the chart, scoped to the acting user's clinic and role, and audited."""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.ops import freshness
from ketaflow.patients.entries import ENTRY_KINDS, entry_kind
from ketaflow.patients.models import Allergy, Measurement, Patient


def _scoped(actor: User) -> QuerySet[Patient]:
    if not actor.can(Capability.VIEW_PATIENT_LIST):
        raise PermissionDenied("Your role cannot see patient records.")
    return Patient.objects.filter(clinic_id=actor.clinic_pk)


def _search(actor: User, query: str) -> QuerySet[Patient]:
    qs = _scoped(actor)
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
    return qs.order_by("family_name", "given_name", "pk")


def _audit_search(actor: User, query: str, patients: list[Patient], **extra: Any) -> None:
    record_event(
        actor=actor,
        action=Action.SEARCH if query else Action.LIST,
        detail={"query": query, "patient_ids": [p.pk for p in patients], **extra},
    )


def search_patients(actor: User, query: str = "", *, limit: int = 50) -> list[Patient]:
    """Patients of the actor's clinic matching a name, MRN or date of birth (YYYY-MM-DD)."""
    query = query.strip()
    _scoped(actor)  # refuses a role that may not see the list, on every read
    # Searched once while nothing was written (`ops.freshness`); every read is audited. The
    # rows are shared between reads: read-only.
    patients: list[Patient] = freshness.memo(
        "patient-search",
        (actor.clinic_pk, query, limit),
        lambda: list(_search(actor, query)[:limit]),
    )
    _audit_search(actor, query, patients)
    return patients


PAGE_SIZE = 50


def patient_page(
    actor: User, query: str = "", page: int | str | None = 1, *, per_page: int = PAGE_SIZE
) -> Page[Patient]:
    """One page of the clinic's patients matching the search (a page out of range gives the
    nearest one). Only the patients shown are audited."""
    shown = patient_page_unaudited(actor, query, page, per_page=per_page)
    audit_patient_page(actor, query, [p.pk for p in shown.object_list], shown.number)
    return shown


def patient_page_unaudited(
    actor: User, query: str = "", page: int | str | None = 1, *, per_page: int = PAGE_SIZE
) -> Page[Patient]:
    """`patient_page` without its audit event: the caller records it with
    `audit_patient_page` on every read (also when the drawn page is reused)."""
    paginator = Paginator(_search(actor, query.strip()), per_page)
    return paginator.get_page(page)


def audit_patient_page(actor: User, query: str, patient_ids: list[int], page: int) -> None:
    """The list's read: the query and the patients shown, on this page."""
    _scoped(actor)  # refuses a role that may not see the list
    record_event(
        actor=actor,
        action=Action.SEARCH if query.strip() else Action.LIST,
        detail={"query": query.strip(), "patient_ids": patient_ids, "page": page},
    )


# ------------------------------------------------------------------ likely duplicates


def name_key(name: str) -> str:
    """A name for comparing: accents, case, spaces and punctuation dropped (Zoë-Anne = zoeanne)."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return "".join(c for c in plain.casefold() if c.isalnum())


def phone_key(phone: str) -> str:
    """A phone number for comparing: its last nine digits, so +44 7700 900123, 0044 7700 900123
    and 07700 900123 are one number; "" when too short to tell."""
    digits = "".join(c for c in phone if c.isdigit())
    return digits[-9:] if len(digits) >= 7 else ""


@dataclass(frozen=True)
class LikelyDuplicate:
    patient: Patient
    reasons: tuple[str, ...]  # "same name and date of birth", "same phone number"


def likely_duplicates(
    actor: User, *, given_name: str, family_name: str, date_of_birth: date | None, phone: str = ""
) -> list[LikelyDuplicate]:
    """Patients of the actor's clinic (never another's) who may be the person being
    registered: the same given and family name and date of birth, or the same phone number.
    Audited as a search when any is found."""
    if not actor.can(Capability.REGISTER_PATIENT):
        raise PermissionDenied("Your role cannot register patients.")
    qs = _scoped(actor)
    reasons: dict[int, list[str]] = {}
    found: dict[int, Patient] = {}
    names = (name_key(given_name), name_key(family_name))
    if date_of_birth is not None and all(names):
        for p in qs.filter(date_of_birth=date_of_birth):
            if (name_key(p.given_name), name_key(p.family_name)) == names:
                found[p.pk] = p
                reasons.setdefault(p.pk, []).append("same name and date of birth")
    key = phone_key(phone)
    if key:
        same = [
            pk
            for pk, phone in qs.exclude(phone="").values_list("pk", "phone")
            if phone_key(phone) == key
        ]
        for p in qs.filter(pk__in=same):
            found[p.pk] = p
            reasons.setdefault(p.pk, []).append("same phone number")
    duplicates = [
        LikelyDuplicate(p, tuple(reasons[p.pk]))
        for p in sorted(found.values(), key=lambda p: (p.family_name, p.given_name, p.pk))
    ]
    if duplicates:
        record_event(
            actor=actor,
            action=Action.SEARCH,
            detail={
                "duplicate_check": True,
                "patient_ids": [d.patient.pk for d in duplicates],
            },
        )
    return duplicates


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
