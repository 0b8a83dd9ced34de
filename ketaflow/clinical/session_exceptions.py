"""A session's exceptions: what departed from the order or protocol, and the reason given.

A clinic can stake a patient on a signed record only if every departure in it was seen and
explained. This module lists them from plain values (the administration record, the reason
on each line, the order's overrides and flags, the alerts and their acknowledgements, the
discharge overrides) so the signing screen, the API and the services ask the same question:

- an infusion stopped before the ordered dose was delivered (delivered vs ordered mg);
- a pause longer than the protocol allows (`MAX_PAUSE_MINUTES`, a clinic default);
- soft limits the prescriber overrode on the order or at discharge (with their reasons);
- the record departing from the order (`administration.order_flags`);
- warn/critical alerts and the action taken when each was acknowledged.

`reasons_needed` says, before a line is written, which reasons that line needs (the early
stop, the resume after a long pause); `summarise` lists everything for signing, and any
item at all means the prescriber signs with an attestation.

Pure: the clock is a parameter (`at`), times are aware UTC datetimes.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ketaflow.clinical import administration as adm
from ketaflow.clinical.discharge import LABELS as DISCHARGE
from ketaflow.clinical.dosing.overrides import LABELS as SOFT_LIMITS
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, cite

#: How long an IV infusion may stay paused before the pause is a deviation needing a reason.
#: No source gives a number: a pause stretches the ordered infusion time (40 min in the
#: trials, S12, S15; 2-100 min used, S22) and changes the exposure, so the clinic sets it.
MAX_PAUSE_MINUTES: ClinicDefault[int] = ClinicDefault(
    value=10,
    sources=cite("S12", "S15", "S22"),
    evidence=Evidence.UNVERIFIED,
    note="No published limit on pausing a ketamine infusion: a clinic default (10 min) "
    "that needs local sign-off. The ordered duration is 40 min in most trials (S12, S15, S22).",
)


class ExceptionKind(enum.Enum):
    EARLY_STOP = "early_stop"
    LONG_PAUSE = "long_pause"
    ORDER_FLAG = "order_flag"
    ORDER_OVERRIDE = "order_override"
    DISCHARGE_OVERRIDE = "discharge_override"
    ALERT = "alert"

    @property
    def label(self) -> str:
        return {
            ExceptionKind.EARLY_STOP: "Stopped before the ordered dose",
            ExceptionKind.LONG_PAUSE: "Pause longer than the protocol allows",
            ExceptionKind.ORDER_FLAG: "Record departs from the order",
            ExceptionKind.ORDER_OVERRIDE: "Order override",
            ExceptionKind.DISCHARGE_OVERRIDE: "Discharge override",
            ExceptionKind.ALERT: "Alert",
        }[self]

    @property
    def group(self) -> str:
        """Deviations, overrides or alerts: the three parts of the signing summary."""
        if self in (ExceptionKind.ORDER_OVERRIDE, ExceptionKind.DISCHARGE_OVERRIDE):
            return "overrides"
        if self is ExceptionKind.ALERT:
            return "alerts"
        return "deviations"


@dataclass(frozen=True)
class SessionException:
    """One item of the summary; `reason` is what was recorded ('' when nothing was)."""

    kind: ExceptionKind
    code: str
    message: str
    at: datetime | None
    reason: str
    by: str
    sources: tuple[Source, ...]

    @property
    def reason_missing(self) -> bool:
        return not self.reason.strip()


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None  # None: still paused at `at`
    minutes: float
    reason: str  # recorded on the line that ended it (resume or stop)


@dataclass(frozen=True)
class AlertSeen:
    """A warn/critical alert from a reading, and its acknowledgement (if any)."""

    at: datetime
    code: str
    level: str  # "warn" | "critical"
    message: str
    acknowledged_by: str = ""
    action_taken: str = ""
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class OverrideUsed:
    code: str
    reason: str
    by: str = ""


@dataclass(frozen=True)
class ExceptionSummary:
    """Everything a prescriber attests to when signing, grouped for one screen."""

    items: tuple[SessionException, ...]
    max_pause: ClinicDefault[int]

    @property
    def requires_attestation(self) -> bool:
        return bool(self.items)

    def group(self, name: str) -> tuple[SessionException, ...]:
        return tuple(i for i in self.items if i.kind.group == name)

    @property
    def deviations(self) -> tuple[SessionException, ...]:
        return self.group("deviations")

    @property
    def overrides(self) -> tuple[SessionException, ...]:
        return self.group("overrides")

    @property
    def alerts(self) -> tuple[SessionException, ...]:
        return self.group("alerts")

    @property
    def missing_reasons(self) -> tuple[SessionException, ...]:
        return tuple(i for i in self.items if i.reason_missing)


def _check_reasons(record: adm.AdministrationRecord, reasons: Sequence[str]) -> None:
    if len(reasons) != len(record.events):
        raise ClinicalInputError(
            f"one reason per event: {len(reasons)} reasons for {len(record.events)} events",
            field="reasons",
        )


def pauses(
    record: adm.AdministrationRecord, reasons: Sequence[str], at: datetime
) -> tuple[Pause, ...]:
    """Every pause with its length; one still open at `at` runs until `at`."""
    _check_reasons(record, reasons)
    found: list[Pause] = []
    since: datetime | None = None
    for e, why in zip(record.events, reasons, strict=True):
        if e.kind is adm.EventKind.PAUSE:
            since = e.at
        elif since is not None and e.kind in (adm.EventKind.RESUME, adm.EventKind.STOP):
            found.append(Pause(since, e.at, (e.at - since).total_seconds() / 60.0, why))
            since = None
    if since is not None:
        found.append(Pause(since, None, max(0.0, (at - since).total_seconds() / 60.0), ""))
    return tuple(found)


def stopped_short_mg(
    record: adm.AdministrationRecord,
    ordered_mg: float,
    tolerance_mg: float = adm.ORDER_TOLERANCE_MG,
) -> float | None:
    """mg short of the order when the infusion was stopped early, else None."""
    if record.stopped_at is None:
        return None
    given = adm.delivered_mg(record, record.stopped_at)
    short = ordered_mg - given
    return short if short > tolerance_mg else None


def reasons_needed(
    record: adm.AdministrationRecord,
    event: adm.Event,
    *,
    ordered_mg: float,
    max_pause: ClinicDefault[int] = MAX_PAUSE_MINUTES,
    tolerance_mg: float = adm.ORDER_TOLERANCE_MG,
) -> tuple[str, ...]:
    """Why this new line needs a reason (empty: it needs none).

    A stop before the ordered dose is delivered, and a resume or stop ending a pause longer
    than `max_pause`, each need a reason on that line. `record` is the record before it.
    """
    after = adm.append(record, event)
    needed: list[str] = []
    if event.kind is adm.EventKind.STOP:
        short = stopped_short_mg(after, ordered_mg, tolerance_mg)
        if short is not None:
            given = ordered_mg - short
            needed.append(
                f"the infusion is stopped at {given:.1f} mg of the {ordered_mg:.1f} mg ordered "
                f"({short:.1f} mg not given)"
            )
    ends_pause = event.kind in (adm.EventKind.RESUME, adm.EventKind.STOP)
    if ends_pause and record.final_state is adm.InfusionState.PAUSED:
        start = next(e.at for e in reversed(record.events) if e.kind is adm.EventKind.PAUSE)
        minutes = (event.at - start).total_seconds() / 60.0
        if minutes > max_pause.value:
            needed.append(
                f"the pause lasted {minutes:.1f} min, longer than the {max_pause.value} min "
                "the protocol allows"
            )
    return tuple(needed)


def summarise(
    record: adm.AdministrationRecord,
    reasons: Sequence[str],
    at: datetime,
    *,
    ordered_mg: float | None,
    ordered_mg_per_min: float | None = None,
    max_pause: ClinicDefault[int] = MAX_PAUSE_MINUTES,
    order_overrides: Sequence[OverrideUsed] = (),
    alerts: Sequence[AlertSeen] = (),
    discharge_overrides: Sequence[OverrideUsed] = (),
    tolerance_mg: float = adm.ORDER_TOLERANCE_MG,
) -> ExceptionSummary:
    """The session's exceptions at `at`, each with the reason recorded for it.

    `reasons[i]` is the reason recorded on `record.events[i]` ('' for none).
    """
    if at.utcoffset() is None:
        raise ClinicalInputError("give the time with its time zone", field="at")
    _check_reasons(record, reasons)
    items: list[SessionException] = []
    if ordered_mg is not None:
        short = stopped_short_mg(record, ordered_mg, tolerance_mg)
        if short is not None:
            assert record.stopped_at is not None
            stop_reason = next(
                (
                    r
                    for e, r in zip(record.events, reasons, strict=True)
                    if e.kind is adm.EventKind.STOP
                ),
                "",
            )
            items.append(
                SessionException(
                    ExceptionKind.EARLY_STOP,
                    "stop.before_ordered_dose",
                    f"Stopped at {ordered_mg - short:.1f} mg of {ordered_mg:.1f} mg ordered "
                    f"({short:.1f} mg not given).",
                    record.stopped_at,
                    stop_reason,
                    "",
                    cite("S4"),
                )
            )
    for p in pauses(record, reasons, at):
        if p.minutes > max_pause.value:
            still = " (still paused)" if p.end is None else ""
            items.append(
                SessionException(
                    ExceptionKind.LONG_PAUSE,
                    "pause.longer_than_allowed",
                    f"Paused {p.minutes:.1f} min{still}; the protocol allows "
                    f"{max_pause.value} min"
                    + (
                        " (clinic default, needs local sign-off)."
                        if max_pause.needs_local_signoff
                        else "."
                    ),
                    p.start,
                    p.reason,
                    "",
                    max_pause.sources,
                )
            )
    if ordered_mg is not None:
        for flag in adm.order_flags(
            record, at, ordered_mg=ordered_mg, ordered_mg_per_min=ordered_mg_per_min
        ):
            items.append(
                SessionException(
                    ExceptionKind.ORDER_FLAG, flag.code, flag.message, None, "", "", flag.sources
                )
            )
    for kind, used in (
        (ExceptionKind.ORDER_OVERRIDE, order_overrides),
        (ExceptionKind.DISCHARGE_OVERRIDE, discharge_overrides),
    ):
        for o in used:
            what = override_label(o.code)
            items.append(
                SessionException(kind, o.code, f"{kind.label}: {what}.", None, o.reason, o.by, ())
            )
    for a in sorted(alerts, key=lambda a: a.at):
        items.append(
            SessionException(
                ExceptionKind.ALERT,
                a.code,
                f"{a.level}: {a.message}",
                a.at,
                a.action_taken,
                a.acknowledged_by,
                a.sources,
            )
        )
    return ExceptionSummary(tuple(items), max_pause)


def override_label(code: str) -> str:
    """What an override let pass, in words (the code itself never reaches a screen)."""
    return DISCHARGE.get(code) or SOFT_LIMITS.get(code) or "a limit the record names"


__all__ = [
    "MAX_PAUSE_MINUTES",
    "AlertSeen",
    "ExceptionKind",
    "ExceptionSummary",
    "OverrideUsed",
    "Pause",
    "SessionException",
    "override_label",
    "pauses",
    "reasons_needed",
    "stopped_short_mg",
    "summarise",
]
