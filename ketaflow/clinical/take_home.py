"""Take-home ketamine: when home doses may be authorised, and the limits on every supply.

The references discourage home use: "at-home self-administration is strongly discouraged;
every dose should be given under medical supervision" (A5); the FDA warned in October 2023
about compounded ketamine for home use, with a home oral-ketamine case of respiratory
depression (S34); SPRAVATO is never dispensed for home use (S1, S3). So home doses are an
exception a prescriber must justify, never a default, and only after supervised doses went
without a safety event.

Rules here (pure: no Django, no I/O, no clock; "today" is a parameter):

- **Safety event** in a supervised session (from the session's records, `treatments.models`,
  gathered by `dispensing/derive.py`): a side effect recorded as severe; any rescue medication
  given; a critical ("hard") in-session vital-sign alert (`clinical/monitoring`, `AlertLevel.
  CRITICAL`: stop the infusion, airway, call the prescriber, S1/S3/S24); a discharge with a
  prescriber's override of a blocking criterion; or discharge criteria not met when the
  session was signed (`clinical/discharge.py`). Any one of them restarts the count.
- **Eligibility**: the last `supervised_doses_required` supervised sessions of the course, in
  a row, without a safety event (clinic default, UNVERIFIED: no source sets a number).
- **Schedule III** (ketamine is DEA Schedule III, S43): a prescription expires 6 months after
  it is written and allows at most 5 refills (S57, secondary legal summary): hard limits.
- **Quantity**: one supply covers at most the authorisation's days at its dose schedule.
- **Early request**: a request for more before the last supply should have run out (by the
  authorised schedule, supplies taken one after another) is early and waits for a prescriber.
- **PDMP**: check the prescription-monitoring programme at least every 3 months and before a
  new controlled prescription (CDC advice, opioid context, S56); state law varies, so the
  interval is a clinic setting (UNVERIFIED). A supply with the check overdue is a **soft
  limit**: refused unless a prescriber overrides with a reason (e.g. the state's PDMP is down),
  because the advice is advice and the mandate is state law, but dispensing blind should be
  a recorded decision, never a nurse's default.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, cite, default, merge

HOME_USE_SOURCES: Final = ("A5", "S34", "S1", "S3")
SCHEDULE_III_SOURCES: Final = ("S43", "S57")

#: Shown on the authorisation page, above the prescriber's reason.
HOME_USE_WARNING: Final = (
    "Home use of ketamine is strongly discouraged: every dose should be given under medical "
    "supervision (A5). The FDA warned in October 2023 about compounded ketamine for home use "
    "(abuse and misuse, psychiatric events, raised blood pressure, respiratory depression, "
    "urinary problems), with a home oral-ketamine case of respiratory depression (S34). "
    "Esketamine (SPRAVATO) is never dispensed for home use (S1, S3). Authorise home doses only "
    "as a justified exception, and say why."
)

#: What the patient acknowledges at each supply (the version is stored with the supply).
ACKNOWLEDGEMENT_VERSION: Final = "2026-12-v1"
STORAGE_RULES: Final = (
    "Keep the medicine locked away, out of sight and reach of others and of children; never "
    "share it; bring back any you do not use; tell the clinic at once if any is lost or "
    "stolen (ketamine is a Schedule III controlled substance, S43; misuse and diversion, S34)."
)
NO_DRIVING_RULES: Final = (
    "Do not drive, cycle, operate machinery or make important decisions on a dosing day until "
    "the next day after a restful sleep (S1, S3); take each dose only as prescribed and never "
    "with alcohol or other sedatives (S34)."
)

MAX_REFILLS: Final = 5  # S57: Schedule III, at most 5 refills
PRESCRIPTION_VALID_MONTHS: Final = 6  # S57: Schedule III prescriptions expire after 6 months


@dataclass(frozen=True)
class TakeHomeDefaults:
    supervised_doses_required: ClinicDefault[int] = field(
        default_factory=lambda: default(
            3,
            "A5",
            "S34",
            "S23",
            "S51",
            evidence=Evidence.UNVERIFIED,
            note="No source sets how many supervised doses must go well before home doses; "
            "the oral and sublingual case series began in clinic (S23, S51). Local sign-off.",
        )
    )
    pdmp_interval_days: ClinicDefault[int] = field(
        default_factory=lambda: default(
            90,
            "S56",
            evidence=Evidence.UNVERIFIED,
            note="CDC advice (opioid context): at least every 3 months and before a new "
            "controlled prescription; state laws vary, a ketamine mandate is state law (S56).",
        )
    )


TAKE_HOME_DEFAULTS: Final = TakeHomeDefaults()


# ---------------------------------------------------------------------------- safety events


SAFETY_EVENT_LABELS: Final = {
    "side_effect.severe": "a severe side effect",
    "rescue_medication": "rescue medication given",
    "vitals.critical": "a critical vital-sign alert",
    "discharge.override": "discharge criteria overridden by a prescriber",
    "discharge.not_met": "discharge criteria not met",
}


@dataclass(frozen=True)
class SupervisedDose:
    """One supervised session of the course (signed), with what its records show."""

    session_number: int
    severe_side_effect: bool = False
    rescue_medication: bool = False
    critical_vitals_alert: bool = False
    discharge_overridden: bool = False
    discharge_criteria_failed: bool = False

    @property
    def safety_events(self) -> tuple[str, ...]:
        flags = (
            ("side_effect.severe", self.severe_side_effect),
            ("rescue_medication", self.rescue_medication),
            ("vitals.critical", self.critical_vitals_alert),
            ("discharge.override", self.discharge_overridden),
            ("discharge.not_met", self.discharge_criteria_failed),
        )
        return tuple(code for code, on in flags if on)


@dataclass(frozen=True)
class TakeHomeEligibility:
    allowed: bool
    clean_in_a_row: int
    required: int
    message: str
    last_event: tuple[int, tuple[str, ...]] | None  # (session number, event codes)
    sources: tuple[Source, ...]


def take_home_eligibility(
    doses: Sequence[SupervisedDose], required: ClinicDefault[int]
) -> TakeHomeEligibility:
    """May home doses be authorised: the last `required` supervised doses all without events?

    `doses` in any order; counted from the most recent back to the last safety event.
    """
    need = int(required.value)
    if need < 1:
        raise ClinicalInputError("At least one supervised dose is required.", field="required")
    ordered = sorted(doses, key=lambda d: d.session_number, reverse=True)
    clean = 0
    last_event: tuple[int, tuple[str, ...]] | None = None
    for dose in ordered:
        if dose.safety_events:
            last_event = (dose.session_number, dose.safety_events)
            break
        clean += 1
    sources = merge([cite(*HOME_USE_SOURCES), required.sources])
    if clean >= need:
        msg = f"{clean} supervised doses in a row without a safety event (needs {need})."
        return TakeHomeEligibility(True, clean, need, msg, last_event, sources)
    msg = (
        f"Home doses need {need} supervised doses in a row without a safety event; {clean} so far."
    )
    if last_event is not None:
        words = ", ".join(SAFETY_EVENT_LABELS[c] for c in last_event[1])
        msg += f" Session {last_event[0]} had {words}; the count restarted after it."
    return TakeHomeEligibility(False, clean, need, msg, last_event, sources)


# ---------------------------------------------------------------------------- prescription


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (the month's last day when it has fewer)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def prescription_expires_on(written_on: date) -> date:
    """The last day a Schedule III prescription written on `written_on` may be filled (S57)."""
    return add_months(written_on, PRESCRIPTION_VALID_MONTHS) - timedelta(days=1)


@dataclass(frozen=True)
class Schedule:
    """An authorised dose schedule: `units_per_dose` units of `strength_mg` every N days."""

    strength_mg: float
    units_per_dose: int
    dose_interval_days: int
    days_per_supply: int

    @property
    def dose_mg(self) -> float:
        return self.strength_mg * self.units_per_dose

    @property
    def max_units_per_supply(self) -> int:
        """Units covering `days_per_supply` days: one dose on day 0, then every interval."""
        doses = -(-self.days_per_supply // self.dose_interval_days)  # ceiling
        return doses * self.units_per_dose


def check_authorisation(schedule: Schedule, refills: int) -> None:
    """Refuse a schedule or a refill count outside the limits (a hard limit, S57)."""
    if not schedule.strength_mg > 0:
        raise ClinicalInputError("Enter the strength per unit in mg.", field="strength_mg")
    if schedule.units_per_dose < 1:
        raise ClinicalInputError("At least one unit per dose.", field="units_per_dose")
    if schedule.dose_interval_days < 1:
        raise ClinicalInputError("At most one dose a day.", field="dose_interval_days")
    if schedule.days_per_supply < schedule.dose_interval_days:
        raise ClinicalInputError(
            "A supply must cover at least one dose interval.", field="days_per_supply"
        )
    if refills < 0 or refills > MAX_REFILLS:
        raise ClinicalInputError(
            f"A Schedule III prescription allows at most {MAX_REFILLS} refills (S57).",
            field="refills_allowed",
        )


def check_supply(
    schedule: Schedule,
    *,
    refills_allowed: int,
    fills_before: int,
    quantity: int,
    today: date,
    expires_on: date,
    lot_expires_on: date,
) -> None:
    """Refuse a supply past the prescription's limits (hard limits: S57 and the schedule)."""
    if today > expires_on:
        raise ClinicalInputError(
            "The authorisation has expired (a Schedule III prescription lasts 6 months, S57): "
            "a new authorisation is needed.",
            field="authorisation",
        )
    if fills_before > refills_allowed:
        raise ClinicalInputError(
            f"No refills left: {refills_allowed} refill(s) authorised, all used "
            f"(Schedule III: at most {MAX_REFILLS}, S57).",
            field="authorisation",
        )
    if quantity < schedule.units_per_dose:
        raise ClinicalInputError(
            f"At least one dose ({schedule.units_per_dose} unit(s)).", field="quantity"
        )
    if quantity % schedule.units_per_dose:
        raise ClinicalInputError(
            f"Whole doses only: a multiple of {schedule.units_per_dose} unit(s).",
            field="quantity",
        )
    if quantity > schedule.max_units_per_supply:
        raise ClinicalInputError(
            f"At most {schedule.max_units_per_supply} units: {schedule.days_per_supply} days "
            f"at {schedule.units_per_dose} unit(s) every {schedule.dose_interval_days} day(s).",
            field="quantity",
        )
    if lot_expires_on < today:
        raise ClinicalInputError("That lot has expired.", field="lot")


def days_supply(schedule: Schedule, quantity: int) -> int:
    """Days a supply of `quantity` units lasts at the schedule (doses x interval)."""
    return (quantity // schedule.units_per_dose) * schedule.dose_interval_days


@dataclass(frozen=True)
class Dispensed:
    on: date
    quantity: int


def last_dose_day(schedule: Schedule, supplies: Sequence[Dispensed]) -> date | None:
    """The day the last supplied dose falls due, taking supplies one after another."""
    next_free: date | None = None
    for s in sorted(supplies, key=lambda d: d.on):
        start = s.on if next_free is None or s.on > next_free else next_free
        next_free = start + timedelta(days=days_supply(schedule, s.quantity))
    if next_free is None:
        return None
    return next_free - timedelta(days=schedule.dose_interval_days)


@dataclass(frozen=True)
class RefillTiming:
    early: bool
    runs_out_on: date | None
    reason: str


def refill_timing(schedule: Schedule, supplies: Sequence[Dispensed], today: date) -> RefillTiming:
    """Is a request for more today early (before the supplies should have run out)?"""
    runs_out = last_dose_day(schedule, supplies)
    if runs_out is None or today >= runs_out:
        return RefillTiming(False, runs_out, "")
    days = (runs_out - today).days
    return RefillTiming(
        True,
        runs_out,
        f"Requested {days} day(s) before the last supply should run out on {runs_out:%d %b %Y} "
        f"({schedule.units_per_dose} unit(s) every {schedule.dose_interval_days} day(s)).",
    )


# ---------------------------------------------------------------------------- PDMP


@dataclass(frozen=True)
class PdmpStatus:
    due: bool
    last_checked_on: date | None
    due_on: date | None
    message: str
    sources: tuple[Source, ...]


def pdmp_status(
    last_checked_on: date | None, today: date, interval: ClinicDefault[int]
) -> PdmpStatus:
    """Whether a PDMP check is due today (none recorded, or the interval has passed, S56)."""
    days = int(interval.value)
    sources = cite("S56")
    if last_checked_on is None:
        return PdmpStatus(True, None, None, "PDMP check due: none recorded.", sources)
    due_on = last_checked_on + timedelta(days=days)
    if today >= due_on:
        return PdmpStatus(
            True,
            last_checked_on,
            due_on,
            f"PDMP check due: last checked {last_checked_on:%d %b %Y} (every {days} days).",
            sources,
        )
    return PdmpStatus(
        False, last_checked_on, due_on, f"PDMP checked; next due {due_on:%d %b %Y}.", sources
    )


# ---------------------------------------------------------------------------- stock


@dataclass(frozen=True)
class LotCount:
    lot: str
    expected: int
    counted: int

    @property
    def difference(self) -> int:
        return self.counted - self.expected


def reconcile(expected: Mapping[str, int], counted: Mapping[str, int]) -> tuple[LotCount, ...]:
    """Each lot's count against the book; every lot on the book must be counted."""
    missing = sorted(set(expected) - set(counted))
    if missing:
        raise ClinicalInputError(f"Count lot {missing[0]} too.", field="counts")
    for lot, n in counted.items():
        if n < 0:
            raise ClinicalInputError(f"A count cannot be negative (lot {lot}).", field="counts")
    return tuple(
        LotCount(lot, expected.get(lot, 0), counted[lot]) for lot in sorted(counted, key=str)
    )


__all__ = [
    "ACKNOWLEDGEMENT_VERSION",
    "HOME_USE_WARNING",
    "MAX_REFILLS",
    "NO_DRIVING_RULES",
    "STORAGE_RULES",
    "TAKE_HOME_DEFAULTS",
    "Dispensed",
    "LotCount",
    "PdmpStatus",
    "RefillTiming",
    "Schedule",
    "SupervisedDose",
    "TakeHomeDefaults",
    "TakeHomeEligibility",
    "check_authorisation",
    "check_supply",
    "days_supply",
    "pdmp_status",
    "prescription_expires_on",
    "reconcile",
    "refill_timing",
    "take_home_eligibility",
]
