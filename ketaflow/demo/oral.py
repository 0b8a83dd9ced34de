"""The oral programme in the main demo clinic (issue #16): one patient titrated, then home doses.

One made-up patient (`ORAL_MRN`) on the built-in oral titration protocol:

1. screened (eligible, consent signed), course started, three supervised sessions given and
   SIGNED at 50, 75 and 100 mg, three or more days apart (the protocol's step interval),
   without a safety event;
2. after the third session (6 days before the seed): controlled stock received (witnessed),
   a PDMP check, the prescriber's take-home authorisation (home-use warning acknowledged,
   with a reason) and one supply dispensed (witnessed, the patient's acknowledgements);
3. the patient's portal link (printed once, like the questionnaire link) and two home diary
   entries through it: one ordinary, one with a moderate side effect, so the nurse's home-dose
   worklist has an entry to acknowledge.

THE CLOCK, and why this patient differs from the rest of the process seed: a signed session
cannot be made on the real clock for a day before the seed (the services stamp check-in,
order, dosing, discharge and signature with "now" and refuse back-dating), and a take-home
authorisation needs signed supervised sessions. So this ONE patient's whole story, from
registration to the supply, is written through the real services with Django's clock set to
the moments it happened (`_Clock`, the same pinning as the test suite's `clock` fixture):
every rule runs as in the clinic, and the patient's chart, histories and audit events are
consistent with each other (they carry those moments, not the time of seeding). Only the
diary entries are written on the real clock: the link is issued now and the patient adds
the last week's doses, which the diary accepts (`homediary.services.BACKDATE_DAYS`).

The days are relative to the day the seed runs (a diary entry must be within the last week):
the supply is dispensed 6 days ago, the sessions are on the clinic's open weekdays before it,
each 3 or more days after the one before. Safe to run again: nothing is added once the
patient exists (the seed runs in one transaction, so the story is all there or not at all),
nor on a demo database seeded before this module (its set-up is too recent: the seed says so).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from unittest import mock

from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.courses.models import Chair, CoursePhase, ProtocolVersion
from ketaflow.courses.opening_hours import closure_on, open_windows_on
from ketaflow.courses.services import book_appointment, change_phase, start_course
from ketaflow.demo.process import Scales, Screening, _screen, _setup
from ketaflow.demo.sessions import _call, _fresh, _prepare
from ketaflow.dispensing import services as dispensing
from ketaflow.dispensing.models import Supply
from ketaflow.homediary.models import DiaryEntry
from ketaflow.homediary.services import DiaryInput, record_entry
from ketaflow.lib.clock import at_clinic, clinic_today
from ketaflow.patients.models import Patient
from ketaflow.portal.models import PortalLink
from ketaflow.portal.services import issue_link
from ketaflow.screening.models import ConsentDocument
from ketaflow.screening.selectors import document_in_force
from ketaflow.treatments import services as treatments

ORAL_PROTOCOL = "oral-racemic-titration"
DOSES_MG = (50.0, 75.0, 100.0)  # the protocol's start and steps (builtin.py, S22b/S23)
STEP_DAYS = 3  # the protocol's titration interval
SESSION_AT = time(10, 0)
CHAIR = "Chair 3"
DISPENSED_DAYS_AGO = 6

ORAL_MRN = "KF-000016"  # `demo.clinic.ORAL_PATIENT`, registered at the story's start
REASON = (
    "Three supervised doses (50, 75, 100 mg) without a safety event: home doses of 100 mg "
    "every 3 days, diary after each dose."
)
PRODUCT = "Ketamine 50 mg capsule (compounded)"
LOT = "DEMO-ORAL-01"


@dataclass(frozen=True)
class OralDays:
    sessions: tuple[date, ...]
    dispensed: date


class _Clock:
    """Django's clock pinned to a moment that moves on a millisecond per reading."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        self._at, self._ticks = at, itertools.count()

    def now(self) -> datetime:
        return self._at + timedelta(milliseconds=next(self._ticks))


@contextmanager
def _pinned(clock: _Clock) -> Iterator[None]:
    """Every reader of `django.utils.timezone.now` (also those that imported it) reads `clock`."""
    real = timezone.now
    bound = [
        (module, name)
        for module in list(sys.modules.values())
        for name, value in list(getattr(module, "__dict__", {}).items())
        if value is real and module is not timezone
    ]
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(timezone, "now", clock.now))
        for module, name in bound:
            stack.enter_context(mock.patch.object(module, name, clock.now))
        yield


def _open(clinic: Clinic, day: date) -> bool:
    return closure_on(clinic.pk, day) is None and bool(open_windows_on(clinic, day))


def _latest_open(clinic: Clinic, on_or_before: date) -> date:
    day = on_or_before
    while not _open(clinic, day):
        day -= timedelta(days=1)
    return day


def oral_days(clinic: Clinic, today: date) -> OralDays:
    """The supply 6 days ago; each session on the latest open day 3+ days before the next."""
    dispensed = today - timedelta(days=DISPENSED_DAYS_AGO)
    last = _latest_open(clinic, dispensed - timedelta(days=1))
    days = [last]
    while len(days) < len(DOSES_MG):
        days.insert(0, _latest_open(clinic, days[0] - timedelta(days=STEP_DAYS)))
    return OralDays(tuple(days), dispensed)


def _session(
    clock: _Clock, clinic: Clinic, appointment: Any, mg: float, users: dict[str, User]
) -> None:
    """One supervised oral dose: check-in to signature, with the 2 h observation between."""
    nurse, prescriber = users["nurse"], users["prescriber"]
    clock.set(appointment.starts_at)
    session = treatments.check_in(nurse, appointment)
    _prepare(session, nurse)
    _call(treatments.enter_order, prescriber, session, dose_mg=mg, confirm=True)
    _call(treatments.record_administration, nurse, session, kind="bolus", bolus_mg=mg)
    _call(treatments.complete_dosing, nurse, session)
    clock.set(appointment.starts_at + timedelta(minutes=135))  # the oral dose's 2 h watch
    _call(treatments.record_vitals, nurse, session, sbp=124, dbp=80, hr=72, spo2=98, rr=14)
    _call(treatments.record_scale, nurse, session, instrument="moaas", answers=[5])
    _call(
        treatments.record_discharge,
        nurse,
        session,
        aldrete_score=10,
        dissociation_resolved=True,
        escort_present=True,
        told_not_to_drive=True,
        discharge=True,
    )
    clock.set(appointment.starts_at + timedelta(minutes=150))
    treatments.sign_session(prescriber, session, _fresh(session).version)


def _story(
    clinic: Clinic, users: dict[str, User], days: OralDays, register: Callable[[], None]
) -> Supply:
    """Registration to the supply, each step at its own moment (see the module doc)."""
    nurse, prescriber, desk = users["nurse"], users["prescriber"], users["frontdesk"]
    first = days.sessions[0]
    workup = first - timedelta(days=7)
    clock = _Clock(at_clinic(workup, time(9, 0), clinic))
    with _pinned(clock):
        register()
        patient = Patient.objects.get(clinic=clinic, mrn=ORAL_MRN)
        clock.set(at_clinic(workup, time(12, 0), clinic))
        _screen(
            Screening(
                ORAL_MRN,
                workup,
                Scales(15, 10, "hama", 24),
                (122, 78),
                protocol=ORAL_PROTOCOL,
                decision="eligible",
                reason="GAD (HAM-A 24) after two failed adequate trials; prefers the oral "
                "programme. Every dose supervised until the titration is done.",
                consent="in_person",
            ),
            patient,
            nurse,
            prescriber,
        )
        clock.set(at_clinic(first - timedelta(days=1), time(11, 0), clinic))
        version = (
            ProtocolVersion.objects.filter(clinic=clinic, code=ORAL_PROTOCOL)
            .order_by("-version")
            .first()
        )
        assert version is not None
        course = start_course(prescriber, patient, version, started_on=first)
        course = change_phase(
            prescriber, course, CoursePhase.INDUCTION, reason="Eligible; consent signed."
        )
        chair = Chair.objects.get(clinic=clinic, name=CHAIR)
        for day, mg in zip(days.sessions, DOSES_MG, strict=True):
            clock.set(at_clinic(day - timedelta(days=1), time(12, 0), clinic))
            appointment = book_appointment(
                desk, course, chair=chair, starts_at=at_clinic(day, SESSION_AT, clinic)
            )
            _session(clock, clinic, appointment, mg, users)
        clock.set(at_clinic(days.dispensed, time(11, 0), clinic))
        dispensing.receive_stock(
            nurse,
            product=PRODUCT,
            dosage_form="capsule",
            strength_mg=50,
            lot=LOT,
            expires_on=days.dispensed + timedelta(days=365),
            quantity=60,
            witness=prescriber,
            supplier="Demo Compounding Pharmacy (fictional)",
            reference="DEMO-INV-0001",
        )
        dispensing.record_pdmp_check(
            nurse,
            patient,
            checked_on=days.dispensed,
            outcome="no_concern",
            registry="State PDMP (demo)",
        )
        authorisation = dispensing.authorise(
            prescriber,
            course,
            product=PRODUCT,
            dosage_form="capsule",
            strength_mg=50,
            units_per_dose=2,
            dose_interval_days=STEP_DAYS,
            days_per_supply=9,
            refills_allowed=1,
            reason=REASON,
            warning_acknowledged=True,
        )
        clock.set(at_clinic(days.dispensed, time(11, 30), clinic))
        return dispensing.dispense(
            nurse,
            authorisation,
            quantity=6,
            lot=LOT,
            witness=prescriber,
            storage_acknowledged=True,
            no_driving_acknowledged=True,
        )


SET_UP_DAYS_AGO = 35  # before the earliest work-up `oral_days` can give (weekends, closed days)


def set_up_first(clinic: Clinic, users: dict[str, User], note: Callable[[str], None]) -> None:
    """On the first run, the clinic's set-up (chairs, hours, protocols, consent document) is
    dated `SET_UP_DAYS_AGO` days back, so the oral patient's story can follow it: a consent
    signed then needs the consent document in force then. Nothing once the set-up exists."""
    if ConsentDocument.objects.filter(clinic=clinic).exists():
        return
    day = clinic_today(clinic) - timedelta(days=SET_UP_DAYS_AGO)
    with _pinned(_Clock(at_clinic(day, time(8, 0), clinic))):
        _setup(clinic, users["admin"], users["prescriber"], note)


def seed_oral(
    clinic: Clinic,
    users: dict[str, User],
    note: Callable[[str], None],
    *,
    register: Callable[[], None],
) -> None:
    """Add the oral patient's story once (nothing if the patient exists); `register` writes
    the patient's chart (`demo.clinic.ORAL_PATIENT`), called on the story's clock."""
    if Patient.objects.filter(clinic=clinic, mrn=ORAL_MRN).exists():
        return
    if not clinic.is_synthetic:
        raise RuntimeError(f"Clinic {clinic.slug!r} is not synthetic: refusing the oral demo.")
    days = oral_days(clinic, clinic_today(clinic))
    registered_at = at_clinic(days.sessions[0] - timedelta(days=7), time(9, 0), clinic)
    if document_in_force(clinic.pk, registered_at) is None:
        # A demo database seeded before the oral programme: its set-up (consent document
        # included) is dated at that seed, after the story would start. Nothing is added.
        note(
            f"no oral programme ({ORAL_MRN}): this demo clinic was set up after its story "
            "would start; seed a fresh demo database to see it"
        )
        return
    supply = _story(clinic, users, days, register)
    note(
        f"oral course of {ORAL_MRN}: sessions {', '.join(f'{d:%d %b}' for d in days.sessions)} "
        f"at {'/'.join(f'{mg:g}' for mg in DOSES_MG)} mg, signed; take-home supply dispensed "
        f"{days.dispensed:%d %b}"
    )
    # The real clock again: the patient opens their link today and adds the week's doses.
    issued = issue_link(users["nurse"], supply.patient, instruments=())
    link = PortalLink.objects.get(pk=issued.link.pk)
    now = timezone.now()
    home = (days.dispensed, days.dispensed + timedelta(days=STEP_DAYS))
    entries = (
        DiaryInput(taken_at=at_clinic(home[0], time(20, 0), clinic), dose_mg=100),
        DiaryInput(
            taken_at=at_clinic(home[1], time(20, 0), clinic),
            dose_mg=100,
            side_effects=("nausea",),
            worst_severity="moderate",
            drowsy=1,
            note="Felt sick for an hour after the dose; better after a lie-down.",
        ),
    )
    for data in entries:
        record_entry(link, data, now=now, supply=supply)
    assert DiaryEntry.objects.filter(patient=supply.patient).count() == len(entries)
    note(
        f"Patient home diary link for {ORAL_MRN} (shown once, works 7 days): "
        f"{issued.url.rstrip('/')}/diary/"
    )
