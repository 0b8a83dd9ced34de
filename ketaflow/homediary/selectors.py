"""Every read of the home dose diary: a patient's diary (staff), the clinic's open home
alerts, entries waiting for a nurse, missed dose days, and the patient's own recent entries.

Staff reads are scoped to the actor's clinic and need `VIEW_CLINICAL`; those that name
patients are audited. Whether an entry is worrying is the core's decision on every read
(`clinical/home_diary.assess_entry`), never a stored flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.home_diary import Concern, HomeSchedule, assess_entry, missed_days
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS
from ketaflow.dispensing.models import EntryStatus, Supply
from ketaflow.homediary import derive
from ketaflow.homediary.models import DiaryEntry, HomeAlert
from ketaflow.patients.models import Patient
from ketaflow.patients.selectors import get_patient

#: How many of the patient's own entries their diary page lists.
OWN_ENTRIES = 10


@dataclass(frozen=True)
class EntryView:
    entry: DiaryEntry
    concerns: tuple[Concern, ...]

    @property
    def worrying(self) -> bool:
        return bool(self.concerns)


@dataclass(frozen=True)
class Diary:
    patient: Patient
    entries: list[EntryView]
    missed: list[date]
    schedules: list[HomeSchedule]
    home_mg: float


@dataclass(frozen=True)
class MissedRow:
    patient: Patient
    day: date


def concerns_of(entry: DiaryEntry) -> tuple[Concern, ...]:
    if entry.status == RecordStatus.ENTERED_IN_ERROR:
        return ()
    return assess_entry(
        derive.answers_of(entry),
        authorised_mg=derive.authorised_mg(entry.patient, entry.taken_at, entry.supply),
        thresholds=DEFAULT_THRESHOLDS,
    )


def _entries(actor: User) -> QuerySet[DiaryEntry]:
    require(actor, Capability.VIEW_CLINICAL)
    return DiaryEntry.objects.filter(clinic_id=actor.clinic_pk).select_related(
        "patient__clinic", "supply__authorisation", "acknowledged_by"
    )


def _alerts(actor: User) -> QuerySet[HomeAlert]:
    require(actor, Capability.VIEW_CLINICAL)
    return HomeAlert.objects.filter(clinic_id=actor.clinic_pk).select_related(
        "patient", "entry", "acknowledged_by"
    )


def patient_diary(actor: User, patient_id: int, today: date) -> Diary:
    """A patient's diary, newest first, with what is worrying and the dose days missed."""
    require(actor, Capability.VIEW_CLINICAL)
    patient = get_patient(actor, patient_id, audit=False)
    rows = list(_entries(actor).filter(patient=patient))
    live = [e for e in rows if e.status != RecordStatus.ENTERED_IN_ERROR]
    schedules = derive.schedules(patient)
    missed = missed_days(schedules, {derive.entry_day(e, patient) for e in live}, today)
    record_event(
        actor=actor,
        action=Action.VIEW,
        obj=patient,
        detail={"part": "home_diary", "entry_ids": [e.pk for e in rows]},
    )
    return Diary(
        patient,
        [EntryView(e, concerns_of(e)) for e in rows],
        missed,
        schedules,
        sum(e.dose_mg for e in live),
    )


def get_entry(actor: User, pk: int) -> DiaryEntry:
    try:
        entry = _entries(actor).get(pk=pk)
    except DiaryEntry.DoesNotExist:
        raise Http404("No such diary entry in your clinic.") from None
    record_event(actor=actor, action=Action.VIEW, obj=entry)
    return entry


def get_alert(actor: User, pk: int) -> HomeAlert:
    try:
        alert = _alerts(actor).get(pk=pk)
    except HomeAlert.DoesNotExist:
        raise Http404("No such alert in your clinic.") from None
    record_event(actor=actor, action=Action.VIEW, obj=alert)
    return alert


def home_alerts(actor: User, *, open_only: bool = False) -> list[HomeAlert]:
    """The clinic's home alerts, open ones first then newest; audited."""
    qs = _alerts(actor)
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    alerts = sorted(qs, key=lambda a: (a.acknowledged_at is not None, -a.raised_at.timestamp()))
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={"part": "home_alerts", "patient_ids": sorted({a.patient_id for a in alerts})},
    )
    return alerts


def open_alert_count(actor: User) -> int:
    """How many home alerts wait for someone (a number only: not audited)."""
    if not actor.can(Capability.VIEW_CLINICAL):
        return 0
    return _alerts(actor).filter(acknowledged_at__isnull=True).count()


def entries_to_review(actor: User) -> list[EntryView]:
    """Entries no nurse has acknowledged yet: worrying ones first, then oldest first."""
    rows = (
        _entries(actor)
        .filter(acknowledged_at__isnull=True)
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .order_by("taken_at", "pk")
    )
    views = [EntryView(e, concerns_of(e)) for e in rows]
    views.sort(key=lambda v: not v.worrying)
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={
            "part": "home_diary_to_review",
            "patient_ids": sorted({v.entry.patient_id for v in views}),
        },
    )
    return views


def missed_entries(actor: User, today: date) -> list[MissedRow]:
    """Dose days by the authorised schedule with no diary entry, across the clinic."""
    require(actor, Capability.VIEW_CLINICAL)
    supplies = list(
        Supply.objects.filter(clinic_id=actor.clinic_pk, status=EntryStatus.ACTIVE).select_related(
            "authorisation", "patient__clinic"
        )
    )
    by_patient: dict[int, list[Supply]] = {}
    for s in supplies:
        by_patient.setdefault(s.patient_id, []).append(s)
    rows: list[MissedRow] = []
    for group in by_patient.values():
        patient = group[0].patient
        days = set(derive.home_dose_days(patient))
        for day in missed_days(derive.schedules(patient, group), days, today):
            rows.append(MissedRow(patient, day))
    rows.sort(key=lambda r: (r.day, r.patient.family_name, r.patient.pk))
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={"part": "home_doses_missed", "patient_ids": sorted({r.patient.pk for r in rows})},
    )
    return rows


def own_entries(patient: Patient) -> list[DiaryEntry]:
    """The patient's own latest entries, for their diary page (the portal audits the view)."""
    return list(
        DiaryEntry.objects.filter(patient=patient)
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .order_by("-taken_at", "-pk")[:OWN_ENTRIES]
    )
