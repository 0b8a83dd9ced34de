"""Proposed session dates: the protocol's rhythm laid on the clinic's calendar.

Each phase has a rhythm (e.g. 3 sessions per 7 days = Mon-Wed-Fri, S15). Session k of a
phase is planned `phase.offset(k)` days after the phase's anchor. A proposed date is:
- never before `start` (e.g. today) and never closer than the phase's minimum interval to
  the previous session;
- moved forward to the next clinic day when it falls on a closed weekday or holiday. Such a
  move does not shift the rhythm: the next session goes back to its usual day if the
  minimum interval allows. A real delay (the earliest allowed date is after the rhythm date)
  restarts the rhythm from the delayed session, so a late course is not crammed to catch up;
- for sessions already given, the rhythm restarts from the last one given.
A new phase starts one of its own gaps after the last session of the previous phase (after
Thursday's last induction dose, weekly esketamine goes on on Thursdays, in week 5 as the
label has it, S1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Source, merge
from ketaflow.clinical.protocols.model import DoseUnit, Phase, PhaseKind, Protocol

SEARCH_DAYS: Final = 366  # a calendar with no open day within a year is an input error


@dataclass(frozen=True)
class ClinicCalendar:
    """When the clinic gives sessions: weekdays (Monday 0 ... Sunday 6) minus closed dates."""

    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    closed: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.working_days:
            raise ClinicalInputError(
                "the clinic needs at least one working day", field="working_days"
            )
        for day in self.working_days:
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ClinicalInputError(
                    f"weekdays are 0 (Monday) to 6 (Sunday), got {day!r}", field="working_days"
                )
        for closed in self.closed:
            if isinstance(closed, datetime) or not isinstance(closed, date):
                raise ClinicalInputError(f"not a date: {closed!r}", field="closed")

    def is_open(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.closed

    def next_open(self, day: date) -> date:
        """`day` if the clinic is open then, else the next day it is."""
        for ahead in range(SEARCH_DAYS):
            candidate = day + timedelta(days=ahead)
            if self.is_open(candidate):
                return candidate
        raise ClinicalInputError(
            f"no open clinic day within {SEARCH_DAYS} days of {day.isoformat()}", field="closed"
        )


@dataclass(frozen=True)
class PlannedDose:
    amount: float
    unit: DoseUnit
    locally_set: bool
    needs_local_signoff: bool
    sources: tuple[Source, ...]

    @property
    def label(self) -> str:
        return f"{self.amount:g} {self.unit.value}"


@dataclass(frozen=True)
class ProposedSession:
    """One proposed session: course number, date, phase and planned dose."""

    number: int  # 1-based over the whole course
    on: date
    rhythm_date: date  # where the rhythm put it before clinic closures / minimum interval
    phase: str
    phase_kind: PhaseKind
    number_in_phase: int  # 1-based
    dose: PlannedDose
    sources: tuple[Source, ...]

    @property
    def moved(self) -> bool:
        return self.on != self.rhythm_date


def _day(when: date) -> date:
    return when.date() if isinstance(when, datetime) else when


def given_days(done: Sequence[date]) -> list[date]:
    """Dates of the sessions already given, checked: in order, one a day."""
    days: list[date] = []
    for i, when in enumerate(done):
        if not isinstance(when, date):
            raise ClinicalInputError(f"not a date: {when!r}", field=f"done[{i}]")
        day = _day(when)
        if days and day <= days[-1]:
            problem = "two sessions on" if day == days[-1] else "out of order at"
            raise ClinicalInputError(f"{problem} {day.isoformat()}", field=f"done[{i}]")
        days.append(day)
    return days


def older_adult(protocol: Protocol, age: int | None) -> bool:
    """Whether the protocol's older-adult doses apply (esketamine: from 65, S1/S2)."""
    cutoff = protocol.older_adult_from_age
    if cutoff is None:
        return False
    if age is None:
        raise ClinicalInputError(
            f"this protocol doses by age (from {cutoff.value}): give the patient's age",
            field="age",
        )
    if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 130:
        raise ClinicalInputError(f"age must be a whole number 0-130, got {age!r}", field="age")
    return age >= cutoff.value


def _planned_dose(protocol: Protocol, phase: Phase, k: int, older: bool) -> PlannedDose:
    setting = phase.dose(k, older)
    sources = setting.sources
    if older and protocol.older_adult_from_age is not None:
        sources = merge([sources, protocol.older_adult_from_age.sources])
    return PlannedDose(
        amount=setting.value,
        unit=protocol.dose_unit,
        locally_set=setting.is_local,
        needs_local_signoff=setting.needs_local_signoff,
        sources=sources,
    )


def propose_sessions(
    protocol: Protocol,
    calendar: ClinicCalendar,
    *,
    start: date,
    done: Sequence[date] = (),
    count: int | None = None,
    age: int | None = None,
) -> tuple[ProposedSession, ...]:
    """Proposed dates for the next sessions, in order, on clinic days.

    `start`: the earliest date for the next session (the course start, or today).
    `done`: dates of the sessions already given. `count`: how many to propose; None for the
    rest of the fixed-length phases (an open-ended maintenance phase is not listed then).
    `age`: needed when the protocol doses by age.
    """
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise ClinicalInputError(f"count must be a whole number >= 0, got {count!r}", field="count")
    if not isinstance(start, date):
        raise ClinicalInputError(f"not a date: {start!r}", field="start")
    earliest_start = _day(start)
    days = given_days(done)
    older = older_adult(protocol, age)

    anchors: dict[str, date] = {}
    prev: date | None = None
    for number, day in enumerate(days, start=1):
        located = protocol.phase_of(number)
        if located is not None:
            phase, k = located
            anchors[phase.code] = day - timedelta(days=phase.offset(k))
        prev = day

    proposed: list[ProposedSession] = []
    number = len(days) + 1
    while count is None or len(proposed) < count:
        located = protocol.phase_of(number)
        if located is None:
            break
        phase, k = located
        if count is None and phase.sessions is None:
            break
        rhythm = _rhythm_date(phase, k, anchors, earliest_start, prev)
        earliest = earliest_start
        if prev is not None:
            earliest = max(earliest, prev + timedelta(days=phase.min_days_between_sessions.value))
        candidate = max(rhythm, earliest)
        if candidate > rhythm or phase.code not in anchors:
            anchors[phase.code] = candidate - timedelta(days=phase.offset(k))
        on = calendar.next_open(candidate)
        dose = _planned_dose(protocol, phase, k, older)
        proposed.append(
            ProposedSession(
                number=number,
                on=on,
                rhythm_date=rhythm,
                phase=phase.code,
                phase_kind=phase.kind,
                number_in_phase=k + 1,
                dose=dose,
                sources=merge([phase.sources, phase.sessions_per_period.sources, dose.sources]),
            )
        )
        prev = on
        number += 1
    return tuple(proposed)


def _rhythm_date(
    phase: Phase, k: int, anchors: dict[str, date], start: date, prev: date | None
) -> date:
    if phase.code in anchors:
        return anchors[phase.code] + timedelta(days=phase.offset(k))
    if prev is None:
        return start
    return prev + timedelta(days=phase.offset(1))  # a new phase: one of its own gaps on


__all__ = [
    "ClinicCalendar",
    "PlannedDose",
    "ProposedSession",
    "given_days",
    "older_adult",
    "propose_sessions",
]
