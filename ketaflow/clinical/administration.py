"""The administration record of one session: events in, delivered dose and pump state out.

A nurse records what happened at the chair: the infusion started at a rate, was paused,
resumed, changed rate, stopped; a bolus (an IV push, an injection, an esketamine device) was
given. Everything else is derived here, never typed or stored (ARCHITECTURE.md "no derivable
state"): how much has been delivered at any moment (exact piecewise integration of the
constant-rate segments plus the boluses), whether the pump is running, paused or stopped,
how many minutes it has been infusing. (`ketaflow.clinical.pk.regimen_from_record` turns a
validated record into the PK simulator's input.)

`validate_events` refuses impossible sequences with a message naming the event at fault:
a pause before the start, a resume when not paused, events out of time order, a rate of 0
or less, anything after the stop. The message never formats a clock time: the times it is
about travel in the error's `times` (UTC), for the app to show in the clinic's zone.
`order_flags` compares the record with the order: a
delivered dose or a rate above what was ordered is never silent. `check_event_limits` is the
hard limit on a new line: a rate above the order's rate ceiling, a bolus that would take the
delivered dose past the order's total (or, on IV, ahead of the rate ceiling) is refused.

Times are aware `datetime`s (UTC); the clock is a parameter. Rates are mg/min (the apps
convert the pump's mL/h with the order's concentration: `mg_per_min_from_ml_per_h`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Source, cite

#: Rounding slack when comparing delivered with ordered mg (pumps and floats are not exact).
ORDER_TOLERANCE_MG = 0.05


class EventKind(enum.Enum):
    START = "start"  # the infusion starts at `mg_per_min`
    PAUSE = "pause"
    RESUME = "resume"  # at the rate in force when it was paused
    RATE_CHANGE = "rate_change"  # a new `mg_per_min` (while paused: applies on resume)
    STOP = "stop"  # the infusion ends; nothing may follow
    BOLUS = "bolus"  # `mg` given at once (IV push, injection, an esketamine device)

    @property
    def label(self) -> str:
        return {
            EventKind.START: "Start",
            EventKind.PAUSE: "Pause",
            EventKind.RESUME: "Resume",
            EventKind.RATE_CHANGE: "Rate change",
            EventKind.STOP: "Stop",
            EventKind.BOLUS: "Bolus",
        }[self]


class InfusionState(enum.Enum):
    NOT_STARTED = "not_started"
    INFUSING = "infusing"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Event:
    """One line of the administration record."""

    at: datetime
    kind: EventKind
    mg_per_min: float | None = None  # START and RATE_CHANGE
    mg: float | None = None  # BOLUS


@dataclass(frozen=True)
class Segment:
    """The pump running at a constant rate over [start, end); `end` None = still running."""

    start: datetime
    end: datetime | None
    mg_per_min: float

    def mg_until(self, at: datetime) -> float:
        """Drug delivered by this segment up to `at`."""
        stop = at if self.end is None else min(at, self.end)
        minutes = (stop - self.start).total_seconds() / 60.0
        return self.mg_per_min * minutes if minutes > 0 else 0.0

    def minutes_until(self, at: datetime) -> float:
        stop = at if self.end is None else min(at, self.end)
        return max(0.0, (stop - self.start).total_seconds() / 60.0)


@dataclass(frozen=True)
class Bolus:
    at: datetime
    mg: float


@dataclass(frozen=True)
class AdministrationRecord:
    """A validated record: the running segments, the boluses and where the pump ended."""

    events: tuple[Event, ...]
    segments: tuple[Segment, ...]
    boluses: tuple[Bolus, ...]
    started_at: datetime | None  # the infusion's START
    stopped_at: datetime | None  # the infusion's STOP
    final_state: InfusionState
    final_mg_per_min: float | None  # the rate in force at the last event (None before start)

    @property
    def first_dose_at(self) -> datetime | None:
        """When drug first went in: the start or the first bolus, whichever came first."""
        times = [t for t in (self.started_at, *(b.at for b in self.boluses)) if t is not None]
        return min(times, default=None)

    @property
    def last_event_at(self) -> datetime | None:
        return self.events[-1].at if self.events else None

    def dose_completed_at(self) -> datetime | None:
        """When dosing was complete: the stop (IV), else the last bolus; None while running."""
        if self.final_state in (InfusionState.INFUSING, InfusionState.PAUSED):
            return None
        times = [t for t in (self.stopped_at, *(b.at for b in self.boluses)) if t is not None]
        return max(times, default=None)


def _where(n: int, e: Event) -> str:
    """Names the event without its clock time: times travel in the error's `times`."""
    return f"event {n + 1} ({e.kind.value})"


def _positive(value: float | None, what: str, where: str) -> float:
    if value is None or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        shown = "nothing" if value is None else f"{value:g}"
        raise ClinicalInputError(f"{where}: {what} must be more than 0, not {shown}", field=what)
    return float(value)


def validate_events(events: Iterable[Event]) -> AdministrationRecord:
    """The record, or `ClinicalInputError` naming the first impossible event and why."""
    ordered = tuple(events)
    segments: list[Segment] = []
    boluses: list[Bolus] = []
    state = InfusionState.NOT_STARTED
    rate: float | None = None
    since: datetime | None = None  # start of the running segment
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    last: datetime | None = None
    for n, e in enumerate(ordered):
        where = _where(n, e)
        if e.at.utcoffset() is None:
            raise ClinicalInputError(f"{where}: give the time with its time zone", field="at")
        if last is not None and e.at < last:
            raise ClinicalInputError(
                f"{where}: events must be in time order (it is earlier than the one before)",
                field="at",
                times={"this event at": e.at, "the one before at": last},
            )
        last = e.at
        if state is InfusionState.STOPPED:
            assert stopped_at is not None
            raise ClinicalInputError(
                f"{where}: the infusion was stopped; nothing may follow the stop",
                field="kind",
                times={"stopped at": stopped_at, "this event at": e.at},
            )
        if e.kind is EventKind.BOLUS:
            boluses.append(Bolus(e.at, _positive(e.mg, "mg", where)))
        elif e.kind is EventKind.START:
            if state is not InfusionState.NOT_STARTED:
                raise ClinicalInputError(f"{where}: the infusion has already started", field="kind")
            rate = _positive(e.mg_per_min, "mg_per_min", where)
            state, since, started_at = InfusionState.INFUSING, e.at, e.at
        elif e.kind is EventKind.PAUSE:
            if state is not InfusionState.INFUSING:
                raise ClinicalInputError(
                    f"{where}: only a running infusion can be paused (it is "
                    f"{state.value.replace('_', ' ')})",
                    field="kind",
                )
            assert since is not None and rate is not None
            segments.append(Segment(since, e.at, rate))
            state, since = InfusionState.PAUSED, None
        elif e.kind is EventKind.RESUME:
            if state is not InfusionState.PAUSED:
                raise ClinicalInputError(
                    f"{where}: the infusion is not paused (it is {state.value.replace('_', ' ')})",
                    field="kind",
                )
            state, since = InfusionState.INFUSING, e.at
        elif e.kind is EventKind.RATE_CHANGE:
            if state is InfusionState.NOT_STARTED:
                raise ClinicalInputError(
                    f"{where}: start the infusion before changing rate", field="kind"
                )
            new = _positive(e.mg_per_min, "mg_per_min", where)
            if state is InfusionState.INFUSING:
                assert since is not None and rate is not None
                segments.append(Segment(since, e.at, rate))
                since = e.at
            rate = new
        elif e.kind is EventKind.STOP:
            if state is InfusionState.NOT_STARTED:
                raise ClinicalInputError(f"{where}: the infusion has not started", field="kind")
            if state is InfusionState.INFUSING:
                assert since is not None and rate is not None
                segments.append(Segment(since, e.at, rate))
            state, since, stopped_at = InfusionState.STOPPED, None, e.at
    if state is InfusionState.INFUSING:
        assert since is not None and rate is not None
        segments.append(Segment(since, None, rate))
    return AdministrationRecord(
        events=ordered,
        segments=tuple(s for s in segments if s.end is None or s.end > s.start),
        boluses=tuple(boluses),
        started_at=started_at,
        stopped_at=stopped_at,
        final_state=state,
        final_mg_per_min=rate,
    )


def append(record: AdministrationRecord, event: Event) -> AdministrationRecord:
    """The record with one more event, or the error that event would cause."""
    return validate_events((*record.events, event))


def _check_after_events(record: AdministrationRecord, at: datetime) -> None:
    if at.utcoffset() is None:
        raise ClinicalInputError("give the time with its time zone", field="at")


def delivered_mg(record: AdministrationRecord, at: datetime) -> float:
    """Drug delivered up to `at`: the integral of the pump rate plus the boluses given by then.

    Before the last event the answer reads the record as of `at` (events later than `at`
    have not happened yet); after it, a running infusion keeps running at its rate.
    """
    _check_after_events(record, at)
    return sum(s.mg_until(at) for s in record.segments) + sum(
        b.mg for b in record.boluses if b.at <= at
    )


def infusing_minutes(record: AdministrationRecord, at: datetime) -> float:
    """Minutes the pump has been running (pauses excluded) up to `at`."""
    _check_after_events(record, at)
    return sum(s.minutes_until(at) for s in record.segments)


def state_at(record: AdministrationRecord, at: datetime) -> InfusionState:
    """Not started / infusing / paused / stopped at `at` (events after `at` not yet seen)."""
    _check_after_events(record, at)
    state = InfusionState.NOT_STARTED
    for e in record.events:
        if e.at > at:
            break
        if e.kind in (EventKind.START, EventKind.RESUME):
            state = InfusionState.INFUSING
        elif e.kind is EventKind.PAUSE:
            state = InfusionState.PAUSED
        elif e.kind is EventKind.STOP:
            state = InfusionState.STOPPED
    return state


def rate_at(record: AdministrationRecord, at: datetime) -> float:
    """The pump rate in mg/min at `at` (0 when not infusing)."""
    for s in record.segments:
        if s.start <= at and (s.end is None or at < s.end):
            return s.mg_per_min
    return 0.0


def mg_per_min_from_ml_per_h(ml_per_h: float, concentration_mg_per_ml: float) -> float:
    """A pump rate in mL/h as mg/min at this concentration."""
    _positive(ml_per_h, "rate_ml_per_h", "the pump rate")
    _positive(concentration_mg_per_ml, "concentration_mg_per_ml", "the concentration")
    return ml_per_h * concentration_mg_per_ml / 60.0


def ml_per_h_from_mg_per_min(mg_per_min: float, concentration_mg_per_ml: float) -> float:
    _positive(concentration_mg_per_ml, "concentration_mg_per_ml", "the concentration")
    return mg_per_min * 60.0 / concentration_mg_per_ml


@dataclass(frozen=True)
class OrderFlag:
    """Where the record departs from the order: never silent, shown and audited by the apps."""

    code: str
    message: str
    sources: tuple[Source, ...]


def order_flags(
    record: AdministrationRecord,
    at: datetime,
    *,
    ordered_mg: float,
    ordered_mg_per_min: float | None = None,
    tolerance_mg: float = ORDER_TOLERANCE_MG,
) -> tuple[OrderFlag, ...]:
    """Flags when the record has delivered more than ordered, or ran faster than ordered.

    `ordered_mg_per_min` is the order's pump rate (IV); a rate above it (beyond rounding)
    is flagged even if the total is still within the order, since a faster infusion is a
    different exposure (rapid IV ketamine: apnoea and pressor response, S4).
    """
    flags: list[OrderFlag] = []
    given = delivered_mg(record, at)
    if given > ordered_mg + tolerance_mg:
        flags.append(
            OrderFlag(
                "delivered.above_ordered",
                f"{given:.1f} mg delivered is more than the {ordered_mg:.1f} mg ordered "
                f"(by {given - ordered_mg:.1f} mg): tell the prescriber and record why.",
                cite("S4"),
            )
        )
    if ordered_mg_per_min is not None:
        fastest = max((s.mg_per_min for s in record.segments if s.start <= at), default=0.0)
        if fastest > ordered_mg_per_min * 1.001 + 1e-9:
            flags.append(
                OrderFlag(
                    "rate.above_ordered",
                    f"the pump ran at {fastest:.3g} mg/min, faster than the ordered "
                    f"{ordered_mg_per_min:.3g} mg/min: tell the prescriber and record why.",
                    cite("S4"),
                )
            )
    if any(b.at <= at for b in record.boluses) and record.started_at is not None:
        flags.append(
            OrderFlag(
                "bolus.during_infusion_order",
                "a bolus was given on an infusion order: the prescriber must confirm it.",
                cite("S4"),
            )
        )
    return tuple(flags)


#: Pump rates are typed rounded (0.1 mL/h): a rate this close above the ceiling is the ceiling.
RATE_ROUNDING = 0.005


@dataclass(frozen=True)
class SessionLimits:
    """What an order allows at the chair: its total mg and, for IV, its rate ceiling.

    `max_mg_per_min` is the protocol's mg/kg/h ceiling at the order's basis weight
    (`InfusionLimits.max_mg_per_min`); None for routes without an infusion.
    """

    ordered_mg: float
    max_mg_per_min: float | None = None
    ceiling_mg_per_kg_per_h: float | None = None
    sources: tuple[Source, ...] = ()
    needs_local_signoff: bool = False


def check_event_limits(record: AdministrationRecord, event: Event, limits: SessionLimits) -> None:
    """Refuse (`HardLimitExceeded`) a new line that would break the order's hard limits.

    - a start, rate change or resume once the ordered total has been delivered;
    - a start or rate change faster than the rate ceiling (beyond `RATE_ROUNDING`);
    - a bolus taking the delivered dose past the ordered total (beyond `ORDER_TOLERANCE_MG`);
    - on IV, a bolus that would put the delivered dose ahead of the ceiling's pace since the
      first dose (the average rate since the first dose never exceeds the ceiling), so a push
      before or early in an infusion is refused.
    No override exists: these are hard limits, whatever path the line comes from.
    """
    # Imported here: dosing -> evidence -> pk -> this module would otherwise be circular.
    from ketaflow.clinical.dosing.limits import HardLimitExceeded

    at = event.at
    given = delivered_mg(record, at)
    total = limits.ordered_mg

    def refuse(message: str, code: str, field: str) -> HardLimitExceeded:
        return HardLimitExceeded(
            message,
            code=code,
            field=field,
            sources=limits.sources,
            needs_local_signoff=limits.needs_local_signoff,
        )

    ceiling = limits.max_mg_per_min
    restarts = (EventKind.START, EventKind.RATE_CHANGE, EventKind.RESUME)
    if event.kind in restarts and given >= total - ORDER_TOLERANCE_MG:
        raise refuse(
            f"the ordered total of {total:.1f} mg has been delivered ({given:.1f} mg): "
            "stop the infusion; a new order is needed for more",
            "dose.ordered_total_delivered",
            "kind",
        )
    if event.kind in (EventKind.START, EventKind.RATE_CHANGE) and ceiling is not None:
        rate = event.mg_per_min or 0.0
        if rate > ceiling * (1 + RATE_ROUNDING):
            per_kg = limits.ceiling_mg_per_kg_per_h
            shown = f" ({per_kg:g} mg/kg/h)" if per_kg is not None else ""
            raise refuse(
                f"{rate:.3g} mg/min is above the rate ceiling of {ceiling:.3g} mg/min{shown} "
                "for this order",
                "infusion.rate_above_ceiling",
                "mg_per_min",
            )
    if event.kind is EventKind.BOLUS:
        mg = event.mg or 0.0
        if given + mg > total + ORDER_TOLERANCE_MG:
            raise refuse(
                f"a {mg:g} mg bolus would bring the delivered dose to {given + mg:.1f} mg, above "
                f"the order's total of {total:.1f} mg",
                "bolus.above_ordered_total",
                "mg",
            )
        if ceiling is not None:
            first = record.first_dose_at
            minutes = 0.0 if first is None else max(0.0, (at - first).total_seconds() / 60.0)
            allowed = ceiling * minutes
            if given + mg > allowed + ORDER_TOLERANCE_MG:
                raise refuse(
                    f"a {mg:g} mg IV bolus would bring the delivered dose to {given + mg:.1f} "
                    f"mg, ahead of the rate ceiling ({ceiling:.3g} mg/min allows {allowed:.1f} "
                    f"mg after {minutes:.0f} min)",
                    "bolus.above_rate_ceiling",
                    "mg",
                )


def minutes_to_ordered_dose(
    record: AdministrationRecord, at: datetime, ordered_mg: float
) -> float | None:
    """Minutes until the ordered dose is reached at the current rate (None when not infusing)."""
    rate = rate_at(record, at)
    if rate <= 0 or state_at(record, at) is not InfusionState.INFUSING:
        return None
    return max(0.0, (ordered_mg - delivered_mg(record, at)) / rate)


def planned_events(start: datetime, mg_per_min: float, minutes: float) -> tuple[Event, Event]:
    """The order as it would run: start at the ordered rate, stop after its minutes."""
    return (
        Event(start, EventKind.START, mg_per_min=mg_per_min),
        Event(start + timedelta(minutes=minutes), EventKind.STOP),
    )


def summarise(events: Sequence[Event], at: datetime) -> dict[str, object]:
    """A plain summary for screens: state, delivered mg, infusing minutes, rate."""
    record = validate_events(events)
    return {
        "state": state_at(record, at).value,
        "delivered_mg": delivered_mg(record, at),
        "infusing_minutes": infusing_minutes(record, at),
        "mg_per_min": rate_at(record, at),
    }


__all__ = [
    "ORDER_TOLERANCE_MG",
    "AdministrationRecord",
    "Bolus",
    "Event",
    "EventKind",
    "InfusionState",
    "OrderFlag",
    "Segment",
    "SessionLimits",
    "append",
    "check_event_limits",
    "delivered_mg",
    "infusing_minutes",
    "mg_per_min_from_ml_per_h",
    "minutes_to_ordered_dose",
    "ml_per_h_from_mg_per_min",
    "order_flags",
    "planned_events",
    "rate_at",
    "state_at",
    "summarise",
    "validate_events",
]
