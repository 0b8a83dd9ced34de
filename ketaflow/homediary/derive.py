"""From stored rows to the core's plain inputs: a diary entry's answers, the dose the
prescriber authorised for home use, the authorised schedule, home doses for misuse and safety.

The schedule of home doses comes from the take-home supplies (`dispensing.Supply`) and their
authorisation (`dispensing.TakeHomeAuthorisation`): a supply of `quantity` units covers
`quantity // units_per_dose` doses, one every `dose_interval_days`, the first one interval
after the day it was dispensed (the supply is handed over at a supervised visit, which is that
day's dose), and none after the authorisation ended. No permission checks (the callers did).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from ketaflow.audit.history import RecordStatus
from ketaflow.clinical.home_diary import DiaryAnswers, HomeSchedule
from ketaflow.clinical.misuse import HomeDose
from ketaflow.dispensing.models import (
    AuthorisationStatus,
    EntryStatus,
    Supply,
    TakeHomeAuthorisation,
)
from ketaflow.homediary.models import DiaryEntry
from ketaflow.lib.clock import local
from ketaflow.patients.models import Patient


def answers_of(entry: DiaryEntry) -> DiaryAnswers:
    return DiaryAnswers(
        dose_mg=entry.dose_mg,
        side_effects=frozenset(entry.side_effects or ()),
        worst_severity=entry.worst_severity,
        breathing_trouble=entry.breathing_trouble,
        fainted=entry.fainted,
        detached=entry.detached,
        drowsy=entry.drowsy,
        sbp=entry.sbp,
        dbp=entry.dbp,
    )


def _live_authorisations(patient: Patient, at: datetime) -> list[TakeHomeAuthorisation]:
    rows = TakeHomeAuthorisation.objects.filter(patient=patient, authorised_at__lte=at)
    return [
        a
        for a in rows
        if a.status == AuthorisationStatus.ACTIVE or (a.ended_at is not None and a.ended_at > at)
    ]


def authorised_mg(patient: Patient, at: datetime, supply: Supply | None = None) -> float | None:
    """The dose per occasion authorised for home use when the dose was taken (None: none).

    The supply's own authorisation when the entry names one; else the latest authorisation in
    force then.
    """
    if supply is not None:
        return supply.authorisation.dose_mg
    live = _live_authorisations(patient, at)
    return live[0].dose_mg if live else None


def current_supply(patient: Patient, at: datetime) -> Supply | None:
    """The latest active supply dispensed to the patient on or before `at`."""
    return (
        Supply.objects.filter(patient=patient, status=EntryStatus.ACTIVE, dispensed_at__lte=at)
        .select_related("authorisation")
        .order_by("-dispensed_at", "-pk")
        .first()
    )


def schedules(patient: Patient, supplies: Iterable[Supply] | None = None) -> list[HomeSchedule]:
    """The dose days each active supply covers (see the module docstring)."""
    clinic = patient.clinic
    rows = (
        list(supplies)
        if supplies is not None
        else list(
            Supply.objects.filter(patient=patient, status=EntryStatus.ACTIVE).select_related(
                "authorisation"
            )
        )
    )
    found: list[HomeSchedule] = []
    for s in rows:
        auth = s.authorisation
        doses = s.quantity // max(auth.units_per_dose, 1)
        if doses < 1 or auth.dose_interval_days < 1:
            continue
        dispensed = local(s.dispensed_at, clinic).date()
        first = dispensed + timedelta(days=auth.dose_interval_days)
        last = dispensed + timedelta(days=auth.dose_interval_days * doses)
        if auth.ended_at is not None:
            last = min(last, local(auth.ended_at, clinic).date())
        if last < first:
            continue
        found.append(HomeSchedule(first, auth.dose_interval_days, last, auth.dose_mg))
    return found


def live_entries(patient: Patient) -> list[DiaryEntry]:
    return list(
        DiaryEntry.objects.filter(patient=patient)
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .order_by("taken_at", "pk")
    )


def entry_day(entry: DiaryEntry, patient: Patient) -> date:
    return local(entry.taken_at, patient.clinic).date()


def home_doses(patient: Patient) -> list[HomeDose]:
    """Every recorded home dose as the misuse indicators' input (clinic-local days)."""
    return [HomeDose(entry_day(e, patient), e.dose_mg) for e in live_entries(patient)]


def home_dose_days(patient: Patient) -> list[date]:
    """The days the patient recorded a home dose (safety's long-term schedule asks this)."""
    return sorted({entry_day(e, patient) for e in live_entries(patient)})
