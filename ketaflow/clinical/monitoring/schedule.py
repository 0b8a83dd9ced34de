"""When the next set of vitals is due, and which checks are overdue.

Two kinds of check:
- fixed checkpoints: pre-dose (every route), esketamine ~40 min after dosing and
  pre-discharge (SPRAVATO label and REMS monitoring form: BP "pre-dose, 40 min,
  pre-discharge", S1/S3);
- rolling intervals, counted from the last reading: IV every 10 min during the infusion and
  every 15 min after it (Emory practice, S24; Yale every 10 min, S25). No source gives an
  interval for SC, IM or oral ketamine, so they default to the IV after-infusion interval,
  flagged for local sign-off.

Interval checks stop at `observation_end` (the pre-discharge checkpoint takes over), so
pass the earliest discharge time from `discharge.earliest_discharge_time`. The clock is a
parameter (`now`); readings after `now` are an input error, whose clock times travel in
the error's `times` (UTC) for the app to show in the clinic's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, cite, default, merge
from ketaflow.clinical.routes import Route

_UNV = Evidence.UNVERIFIED


@dataclass(frozen=True)
class VitalsSchedule:
    """Protocol values for how often vitals are taken (minutes)."""

    iv_during_infusion_every_min: ClinicDefault[int] = default(
        10, "S24", "S25", note="Practice in two large IV series; not a guideline."
    )
    iv_after_infusion_every_min: ClinicDefault[int] = default(
        15, "S24", note="Emory practice (684 infusions); not a guideline."
    )
    other_routes_after_dose_every_min: ClinicDefault[int] = default(
        15,
        "S24",
        evidence=_UNV,
        note="No source for SC/IM/oral; mirrors the IV after-infusion interval.",
    )
    esketamine_check_after_dose_min: ClinicDefault[int] = default(
        40, "S1", "S3", note="SPRAVATO: BP about 40 min after dosing."
    )
    predose_window_min: ClinicDefault[int] = default(
        60, "S1", evidence=_UNV, note="How long before dosing a pre-dose reading counts: local."
    )
    checkpoint_early_min: ClinicDefault[int] = default(
        10,
        "S1",
        "S3",
        evidence=_UNV,
        note="How early a reading may satisfy the 40-min or pre-discharge check: local.",
    )
    grace_min: ClinicDefault[int] = default(
        5, evidence=_UNV, note="Minutes after the due time before a check counts as overdue."
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name).value
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ClinicalInputError(
                    f"must be a whole number of minutes >= 0, got {value!r}", field=f.name
                )
        for name in (
            "iv_during_infusion_every_min",
            "iv_after_infusion_every_min",
            "other_routes_after_dose_every_min",
        ):
            if getattr(self, name).value < 1:
                raise ClinicalInputError("interval must be at least 1 minute", field=name)


DEFAULT_SCHEDULE = VitalsSchedule()


@dataclass(frozen=True)
class DueCheck:
    """One set of vitals the protocol expects, and when."""

    code: str  # "predose", "interval", "esketamine_40min", "pre_discharge"
    label: str
    due_at: datetime
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class OverdueCheck:
    check: DueCheck
    minutes_late: float
    can_still_be_done: bool  # a missed pre-dose reading cannot be taken once dosing began


@dataclass(frozen=True)
class VitalsDue:
    """`next` is the earliest outstanding check (it may itself be overdue)."""

    next: DueCheck | None
    overdue: tuple[OverdueCheck, ...]

    @property
    def next_due(self) -> datetime | None:
        return self.next.due_at if self.next else None


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def _validate(
    route: Route,
    dose_start: datetime,
    now: datetime,
    readings: list[datetime],
    infusion_end: datetime | None,
    observation_end: datetime | None,
) -> None:
    stamps = [dose_start, now, *readings]
    stamps += [t for t in (infusion_end, observation_end) if t is not None]
    if len({t.utcoffset() is None for t in stamps}) > 1:
        raise ClinicalInputError(
            "mix of time-zone-aware and naive times; pass all times in UTC", field="now"
        )
    if infusion_end is not None:
        if route is not Route.IV:
            raise ClinicalInputError(
                f"infusion end applies only to IV infusions, not {route.label}",
                field="infusion_end",
            )
        if infusion_end < dose_start:
            raise ClinicalInputError(
                "infusion end is before the infusion start", field="infusion_end"
            )
    if observation_end is not None and observation_end < (infusion_end or dose_start):
        raise ClinicalInputError(
            "observation end is before the dose was complete", field="observation_end"
        )
    if readings and readings[-1] > now:
        raise ClinicalInputError(
            "a reading is timed after now; check the reading times",
            field="readings",
            times={"reading at": readings[-1], "now": now},
        )


def vitals_due(
    route: Route,
    *,
    dose_start: datetime,
    now: datetime,
    readings: Iterable[datetime],
    infusion_end: datetime | None = None,
    observation_end: datetime | None = None,
    schedule: VitalsSchedule = DEFAULT_SCHEDULE,
) -> VitalsDue:
    """The next vitals due and any overdue checks for one session.

    `dose_start`: infusion start (IV), first device (esketamine), injection or ingestion.
    `infusion_end`: IV only; None while the infusion is running. `readings`: times of the
    vitals taken so far. `observation_end`: when observation may end (pre-discharge
    check); None to keep interval checks going.
    """
    times = sorted(readings)
    _validate(route, dose_start, now, times, infusion_end, observation_end)
    s = schedule
    early = _minutes(s.checkpoint_early_min.value)
    outstanding: list[DueCheck] = []
    overdue: list[OverdueCheck] = []

    # Pre-dose: the start decision rests on it (S1 > 140/90; S4 > 180/100).
    window_start = dose_start - _minutes(s.predose_window_min.value)
    if not any(window_start <= t <= dose_start for t in times):
        pre = DueCheck(
            "predose",
            "Pre-dose vitals",
            dose_start,
            merge([cite("S1", "S4"), s.predose_window_min.sources]),
        )
        if now <= dose_start:
            outstanding.append(pre)
        else:
            late = (now - dose_start).total_seconds() / 60
            overdue.append(OverdueCheck(pre, late, can_still_be_done=False))

    def satisfied(due: datetime) -> bool:
        return any(t >= due - early for t in times)

    pre_discharge_done = observation_end is not None and satisfied(observation_end)

    if route.is_esketamine:
        at = dose_start + _minutes(s.esketamine_check_after_dose_min.value)
        if not satisfied(at):
            outstanding.append(
                DueCheck(
                    "esketamine_40min",
                    "Vitals about 40 minutes after dosing",
                    at,
                    s.esketamine_check_after_dose_min.sources,
                )
            )
    elif not pre_discharge_done:
        check = _interval_check(route, dose_start, times, infusion_end, s)
        if observation_end is None or check.due_at < observation_end:
            outstanding.append(check)

    if observation_end is not None and not pre_discharge_done:
        outstanding.append(
            DueCheck("pre_discharge", "Pre-discharge vitals", observation_end, cite("S1", "S3"))
        )

    grace = _minutes(s.grace_min.value)
    for check in outstanding:
        if now > check.due_at + grace:
            late = (now - check.due_at).total_seconds() / 60
            overdue.append(OverdueCheck(check, late, can_still_be_done=True))
    nxt = min(outstanding, key=lambda c: c.due_at, default=None)
    return VitalsDue(next=nxt, overdue=tuple(sorted(overdue, key=lambda o: o.check.due_at)))


def _interval_check(
    route: Route,
    dose_start: datetime,
    times: list[datetime],
    infusion_end: datetime | None,
    s: VitalsSchedule,
) -> DueCheck:
    """Rolling check: last in-session reading (or the dose start) plus the interval."""
    anchor = max([dose_start, *(t for t in times if t >= dose_start)])
    every: ClinicDefault[int]
    if route is Route.IV:
        running = infusion_end is None or anchor < infusion_end
        every = s.iv_during_infusion_every_min if running else s.iv_after_infusion_every_min
        label = "during the infusion" if running else "after the infusion"
    else:
        every = s.other_routes_after_dose_every_min
        label = "after the dose"
    return DueCheck(
        "interval",
        f"Vitals every {every.value} min {label}",
        anchor + _minutes(every.value),
        every.sources,
    )


__all__ = [
    "DEFAULT_SCHEDULE",
    "DueCheck",
    "OverdueCheck",
    "VitalsDue",
    "VitalsSchedule",
    "vitals_due",
]
