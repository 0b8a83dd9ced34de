"""When a patient's questionnaires are due, from rules anchored to the treatment sessions given.

Pure: no Django, no I/O, no clock. The apps pass the clinic-local day (`today`), the days
treatment was given (with the phase of each session) and the days the patient completed each
instrument; this module answers which occurrences are upcoming, due, overdue, missed or done.

Why this shape:

- **Anchored to the last treatment.** Each rule schedules occurrences a number of days after
  a session (e.g. GAD-7 and PHQ-9 the day after and 7 days after each induction session) and,
  optionally, repeats every N days after that (weekly in maintenance). The next session ends
  the previous session's occurrences: one whose due day falls on or after the next session is
  never due (the new session is the anchor now), one due before it but not done by then is
  missed. So the list a patient sees always belongs to the most recent treatment.
- **A window, then missed.** An occurrence is due on its day, overdue the days after, and
  missed once its window (`window_days`, counted from the due day) has closed.
- **Evaluated when due.** Nothing here is stored: the apps re-run it with the rules as they
  are now, so a rule edited today changes what is still to come, while what was already sent
  stays recorded by the apps.
- **Only forms a patient may see.** Rules may name only instruments whose licence allows
  patient-facing electronic forms and that the patient rates (GAD-7, PHQ-9, PCL-5;
  clinical-addendum section 8 [A25, A27, A29]).

The default rules are a local convention, not a guideline: the reference gives no schedule
for patient-reported follow-up after ketamine for anxiety, so they need local sign-off. They
lean on S17 (improvement measured about 24 h after each infusion predicted overall response),
S9 (weekly maintenance dosing in anxiety) and S40 (the instruments' two-week recall).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Evidence, Source, cite
from ketaflow.clinical.instruments import ItemInstrument, Rater, get_instrument

MAX_OFFSET_DAYS = 365
MAX_WINDOW_DAYS = 60


class SchedulePhase(enum.StrEnum):
    """The phase of the session a rule follows (the protocol's phase kinds)."""

    INDUCTION = "induction"
    MAINTENANCE = "maintenance"


class OccurrenceStatus(enum.StrEnum):
    UPCOMING = "upcoming"  # its day has not come
    DUE = "due"  # due today
    OVERDUE = "overdue"  # due on an earlier day, window still open
    MISSED = "missed"  # window closed (or the next session came) without it
    DONE = "done"  # completed inside its window


OPEN_STATUSES = frozenset({OccurrenceStatus.DUE, OccurrenceStatus.OVERDUE})


def patient_instruments() -> tuple[str, ...]:
    """Codes of the instruments a patient may complete on a Ketaflow electronic form."""
    from ketaflow.clinical.instruments import INSTRUMENTS

    return tuple(
        code
        for code, i in INSTRUMENTS.items()
        if isinstance(i, ItemInstrument) and i.licence.patient_facing and i.rater is Rater.SELF
    )


def check_patient_instrument(code: str) -> str:
    """The instrument code if a patient may fill it in electronically, else an input error."""
    instrument = get_instrument(code)
    if instrument.code not in patient_instruments():
        raise ClinicalInputError(
            f"{instrument.name} cannot be offered to patients: only free self-report forms "
            f"({', '.join(patient_instruments())}) may be shown (licences, addendum section 8)",
            field="instrument",
        )
    return instrument.code


@dataclass(frozen=True)
class ScheduleRule:
    """Ask for `instrument` `offsets_days` after each session of `phase`, then every
    `repeat_every_days` (if set) until the next session; each ask stays open `window_days`."""

    instrument: str
    phase: SchedulePhase
    offsets_days: tuple[int, ...]
    window_days: int
    repeat_every_days: int | None = None
    sources: tuple[Source, ...] = ()
    evidence: Evidence = Evidence.UNVERIFIED
    note: str = ""

    def __post_init__(self) -> None:
        check_patient_instrument(self.instrument)
        if not self.offsets_days:
            raise ClinicalInputError("give at least one day after the session", field="offsets")
        for offset in self.offsets_days:
            if isinstance(offset, bool) or not isinstance(offset, int):
                raise ClinicalInputError(
                    "days after the session are whole numbers", field="offsets"
                )
            if not 1 <= offset <= MAX_OFFSET_DAYS:
                raise ClinicalInputError(
                    f"days after the session must be 1-{MAX_OFFSET_DAYS} (a form on the "
                    "session day itself is a pre-session form, not follow-up)",
                    field="offsets",
                )
        if list(self.offsets_days) != sorted(set(self.offsets_days)):
            raise ClinicalInputError("list each day once, in increasing order", field="offsets")
        if not 1 <= self.window_days <= MAX_WINDOW_DAYS:
            raise ClinicalInputError(f"the window must be 1-{MAX_WINDOW_DAYS} days", field="window")
        repeat = self.repeat_every_days
        if repeat is not None and not 1 <= repeat <= MAX_OFFSET_DAYS:
            raise ClinicalInputError(f"repeat every 1-{MAX_OFFSET_DAYS} days", field="repeat")

    @property
    def needs_local_signoff(self) -> bool:
        return self.evidence is Evidence.UNVERIFIED

    def describe(self) -> str:
        days = ", ".join(str(d) for d in self.offsets_days)
        text = (
            f"{get_instrument(self.instrument).name} {days} day(s) after each {self.phase} session"
        )
        if self.repeat_every_days:
            text += f", then every {self.repeat_every_days} days"
        return text + f"; open {self.window_days} day(s)"


_DEFAULT_NOTE = (
    "Local convention (no published schedule for patient-reported follow-up after ketamine "
    "for anxiety): needs local clinical sign-off."
)


def _default(
    instrument: str, phase: SchedulePhase, offsets: tuple[int, ...], **kw: int
) -> ScheduleRule:
    keys = ("S17", "S40") if phase is SchedulePhase.INDUCTION else ("S9", "S40")
    return ScheduleRule(
        instrument=instrument,
        phase=phase,
        offsets_days=offsets,
        sources=cite(*keys),
        evidence=Evidence.UNVERIFIED,
        note=_DEFAULT_NOTE,
        window_days=kw["window_days"],
        repeat_every_days=kw.get("repeat_every_days"),
    )


DEFAULT_RULES: tuple[ScheduleRule, ...] = tuple(
    rule
    for code in ("gad7", "phq9")
    for rule in (
        _default(code, SchedulePhase.INDUCTION, (1, 7), window_days=3),
        _default(code, SchedulePhase.MAINTENANCE, (7,), window_days=3, repeat_every_days=7),
    )
)


@dataclass(frozen=True, order=True)
class Anchor:
    """A day treatment was given (clinic-local) and the phase that session belonged to."""

    on: date
    phase: SchedulePhase


@dataclass(frozen=True)
class Completion:
    """The patient completed `instrument` on clinic-local day `on`."""

    instrument: str
    on: date


@dataclass(frozen=True)
class Occurrence:
    """One ask: an instrument due on a day, after one session, and its state `today`."""

    instrument: str
    due_on: date
    closes_on: date
    anchor_on: date
    phase: SchedulePhase
    status: OccurrenceStatus
    completed_on: date | None = None
    rule: ScheduleRule | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """Stable identity (what the apps record as sent): instrument and due day."""
        return f"{self.instrument}:{self.due_on.isoformat()}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def _due_days(rule: ScheduleRule, anchor: date, last_day: date) -> list[date]:
    """Days `rule` asks for after a session on `anchor`, up to and including `last_day`."""
    days = [anchor + timedelta(days=d) for d in rule.offsets_days]
    days = [d for d in days if d <= last_day]
    if rule.repeat_every_days:
        step = timedelta(days=rule.repeat_every_days)
        current = anchor + timedelta(days=rule.offsets_days[-1]) + step
        while current <= last_day:
            days.append(current)
            current += step
    return days


def _status(due_on: date, closes_on: date, done: date | None, today: date) -> OccurrenceStatus:
    if done is not None:
        return OccurrenceStatus.DONE
    if today < due_on:
        return OccurrenceStatus.UPCOMING
    if today == due_on:
        return OccurrenceStatus.DUE
    if today <= closes_on:
        return OccurrenceStatus.OVERDUE
    return OccurrenceStatus.MISSED


def schedule(
    rules: Iterable[ScheduleRule],
    anchors: Iterable[Anchor],
    completions: Iterable[Completion],
    *,
    today: date,
    stop_on: date | None = None,
    until: date | None = None,
) -> tuple[Occurrence, ...]:
    """Every occurrence due on or before `until` (default `today`), sorted by day.

    `stop_on`: the course ended that day; nothing falls due on or after it.
    Two rules asking for one instrument on one day make one occurrence (the longer window).
    """
    rules = tuple(rules)
    sessions = sorted(set(anchors))
    session_days = sorted({a.on for a in sessions})
    horizon = until or today
    done_days: dict[str, list[date]] = {}
    for c in completions:
        done_days.setdefault(get_instrument(c.instrument).code, []).append(c.on)
    found: dict[tuple[str, date], Occurrence] = {}
    for anchor in sessions:
        later = [d for d in session_days if d > anchor.on]
        next_session = later[0] if later else None
        limits = [horizon]
        if next_session is not None:
            limits.append(next_session - timedelta(days=1))
        if stop_on is not None:
            limits.append(stop_on - timedelta(days=1))
        last_day = min(limits)
        for rule in rules:
            if rule.phase != anchor.phase:
                continue
            for due_on in _due_days(rule, anchor.on, last_day):
                closes = due_on + timedelta(days=rule.window_days - 1)
                if next_session is not None:
                    closes = min(closes, next_session - timedelta(days=1))
                key = (rule.instrument, due_on)
                previous = found.get(key)
                if previous is not None and previous.closes_on >= closes:
                    continue
                done = min(
                    (d for d in done_days.get(rule.instrument, ()) if due_on <= d <= closes),
                    default=None,
                )
                found[key] = Occurrence(
                    instrument=rule.instrument,
                    due_on=due_on,
                    closes_on=closes,
                    anchor_on=anchor.on,
                    phase=anchor.phase,
                    status=_status(due_on, closes, done, today),
                    completed_on=done,
                    rule=rule,
                )
    return tuple(sorted(found.values(), key=lambda o: (o.due_on, o.instrument)))


def open_now(occurrences: Sequence[Occurrence]) -> tuple[Occurrence, ...]:
    """The occurrences a patient should fill in now (due or overdue), oldest first."""
    return tuple(o for o in occurrences if o.is_open)


__all__ = [
    "DEFAULT_RULES",
    "OPEN_STATUSES",
    "Anchor",
    "Completion",
    "Occurrence",
    "OccurrenceStatus",
    "SchedulePhase",
    "ScheduleRule",
    "check_patient_instrument",
    "open_now",
    "patient_instruments",
    "schedule",
]
