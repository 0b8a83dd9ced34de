"""From stored rows to the core's plain inputs: a diary entry's answers, the dose the
prescriber authorised for home use, the authorised schedule, home doses for misuse and safety.

The schedule of home doses comes from the take-home supplies (`dispensing.Supply`) and their
authorisation (`dispensing.TakeHomeAuthorisation`), read by the take-home rules
(`clinical/take_home.py`, through `dispensing.derive.schedule_of`). No permission checks (the
callers did).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from ketaflow.audit.history import RecordStatus
from ketaflow.clinical.home_diary import DiaryAnswers, HomeSchedule
from ketaflow.clinical.misuse import HomeDose
from ketaflow.clinical.take_home import days_supply
from ketaflow.dispensing.derive import schedule_of
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
    """The dose days each active supply covers, by the take-home rules' reading of a supply.

    One home for how long a supply lasts: `clinical/take_home.py` (`days_supply`; supplies of
    one authorisation are taken one after another, as in `last_dose_day`), so a supply covers
    `quantity // units_per_dose` doses, one every `dose_interval_days`, from the day it is
    dispensed (or the day the previous one runs out). Nothing after the authorisation ended.
    """
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
    by_auth: dict[int, list[Supply]] = {}
    for s in rows:
        by_auth.setdefault(s.authorisation_id, []).append(s)
    found: list[HomeSchedule] = []
    for group in by_auth.values():
        auth = group[0].authorisation
        schedule = schedule_of(auth)
        ended = local(auth.ended_at, clinic).date() if auth.ended_at is not None else None
        next_free: date | None = None
        for s in sorted(group, key=lambda x: (x.dispensed_at, x.pk)):
            on = local(s.dispensed_at, clinic).date()
            start = on if next_free is None or on > next_free else next_free
            covered = days_supply(schedule, s.quantity)
            next_free = start + timedelta(days=covered)
            if covered < 1:
                continue
            last = next_free - timedelta(days=schedule.dose_interval_days)
            if ended is not None:
                last = min(last, ended)
            if last >= start:
                found.append(
                    HomeSchedule(start, schedule.dose_interval_days, last, schedule.dose_mg)
                )
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


def home_intake(patient_pk: int) -> list[tuple[date, float]]:
    """(clinic day, mg) of each recorded home dose: the titration's weekly ceiling counts them
    (treatments asks this through its hook)."""
    patient = Patient.objects.select_related("clinic").get(pk=patient_pk)
    return [(h.on, h.mg) for h in home_doses(patient)]


def home_dose_days(patient: Patient) -> list[date]:
    """The days the patient recorded a home dose (safety's long-term schedule asks this)."""
    return sorted({entry_day(e, patient) for e in live_entries(patient)})
