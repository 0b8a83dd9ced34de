"""Misuse-risk indicators for one patient: cumulative ketamine, session frequency, early requests.

Ketamine and esketamine are Schedule III; the SPRAVATO boxed warning asks prescribers to
assess abuse risk and monitor for drug-seeking (S1, S3), and dependence and tolerance are
reported with frequent use (S4; 17% of recreational users met dependence criteria, S33a).
The clinical reference found **no validated cumulative-dose threshold** (section 6.4,
UNVERIFIED) and suggests tracking mg per session, sessions per rolling 30/90 days and
cumulative mg. So this module *measures*; it flags only:

- sessions held or booked sooner than the protocol phase's minimum spacing ("early
  requests": the protocol's own number, so a departure is worth a look);
- more sessions in a rolling window than the protocol plans for it;
- cumulative mg in a rolling window at or above a threshold, **only if the clinic sets
  one** (`MisuseConfig.mg_per_30_days_review_at`, default None: nothing to sign off yet).

Indicators inform a prescriber's review; they never block a booking or a dose.
Doses taken at home (the patient's diary, `HomeDose`) are their own kind of input: each window's
`mg` is supervised plus home mg, and `supervised_mg` / `home_mg` say which is which (the FDA's
2023 warning names abuse and misuse with home use, S34). Home doses are not sessions: they do
not count towards a phase's planned sessions or its spacing.
Windows are calendar days ending on `as_of` inclusive: "last 30 days" is (as_of - 29) .. as_of.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, cite, default, merge

MISUSE_SOURCES = ("S1", "S3", "S4", "S33")
_WINDOWS: ClinicDefault[tuple[int, ...]] = default(
    (30, 90),
    "S4",
    "S33",
    evidence=Evidence.UNVERIFIED,
    note="Rolling 30/90-day windows are the reference's suggested fields (6.4); no validated "
    "threshold exists.",
)
_NO_THRESHOLD: ClinicDefault[float | None] = default(
    None,
    "S4",
    "S33",
    evidence=Evidence.UNVERIFIED,
    note="No validated cumulative-dose threshold was found (reference 6.4): none by default.",
)


@dataclass(frozen=True)
class Spacing:
    """The protocol phase a session belongs to and how it spaces sessions."""

    phase: str
    min_days_between: int
    sessions_per_period: int
    period_days: int

    def __post_init__(self) -> None:
        if self.min_days_between < 0 or self.sessions_per_period < 1 or self.period_days < 1:
            raise ClinicalInputError("spacing values out of range", field="spacing")

    def planned_in(self, days: int) -> int:
        """The most sessions this phase plans in a window of `days` days."""
        return math.ceil(days * self.sessions_per_period / self.period_days)


@dataclass(frozen=True)
class SessionDose:
    """One session, given (`held`) or only booked, with its delivered mg when given."""

    on: date
    held: bool
    delivered_mg: float | None
    spacing: Spacing | None  # None: the protocol phase is unknown (no spacing rule)


@dataclass(frozen=True)
class HomeDose:
    """One dose the patient recorded taking at home (the diary), in mg."""

    on: date
    mg: float


@dataclass(frozen=True)
class MisuseConfig:
    windows: ClinicDefault[tuple[int, ...]] = _WINDOWS
    mg_per_30_days_review_at: ClinicDefault[float | None] = _NO_THRESHOLD


@dataclass(frozen=True)
class WindowTotal:
    days: int
    start: date
    end: date
    sessions: int
    mg: float
    sessions_without_dose: int  # held sessions whose delivered mg is unknown
    planned_max: int | None  # what the protocol plans in this window (latest phase)
    phase: str | None
    supervised_mg: float = 0.0  # of `mg`: given in clinic
    home_mg: float = 0.0  # of `mg`: taken at home (the diary)
    home_doses: int = 0


@dataclass(frozen=True)
class EarlySession:
    on: date
    previous: date
    gap_days: int
    min_days: int
    phase: str
    held: bool  # False: only booked so far


@dataclass(frozen=True)
class Indicator:
    code: str
    message: str
    sources: tuple[Source, ...]
    evidence: Evidence


@dataclass(frozen=True)
class MisuseReport:
    as_of: date
    windows: tuple[WindowTotal, ...]
    total_mg: float
    total_sessions: int
    early: tuple[EarlySession, ...]
    indicators: tuple[Indicator, ...]
    sources: tuple[Source, ...] = field(default_factory=lambda: cite(*MISUSE_SOURCES))
    home_mg: float = 0.0  # of `total_mg`: taken at home
    home_doses: int = 0
    note: str = (
        "No validated cumulative-dose threshold exists (reference 6.4, UNVERIFIED); these "
        "figures inform a prescriber's review and never decide."
    )


def assess_misuse(
    sessions: Sequence[SessionDose],
    as_of: date,
    config: MisuseConfig | None = None,
    home_doses: Sequence[HomeDose] = (),
) -> MisuseReport:
    """Cumulative mg and sessions per rolling window, early sessions and indicators.

    `home_doses` (the diary) add to each window's and the total mg, kept apart as `home_mg`.
    """
    cfg = config or MisuseConfig()
    for i, s in enumerate(sessions):
        if s.delivered_mg is not None and (not math.isfinite(s.delivered_mg) or s.delivered_mg < 0):
            raise ClinicalInputError("delivered mg must be >= 0", field=f"sessions[{i}]")
    for i, h in enumerate(home_doses):
        if isinstance(h.mg, bool) or not math.isfinite(h.mg) or h.mg < 0:
            raise ClinicalInputError("home dose mg must be >= 0", field=f"home_doses[{i}]")
    ordered = sorted(sessions, key=lambda s: (s.on, not s.held))
    held = [s for s in ordered if s.held and s.on <= as_of]
    home = [h for h in home_doses if h.on <= as_of]
    windows = tuple(_window(held, as_of, days, home) for days in cfg.windows.value)
    early = tuple(_early(ordered))
    indicators: list[Indicator] = []
    spacing_sources = cite("S1", "S3")
    if early:
        indicators.append(
            Indicator(
                "early_sessions",
                f"{len(early)} session(s) held or booked sooner than the protocol's minimum "
                "spacing: review why (drug-seeking is one possibility, scheduling another).",
                spacing_sources,
                Evidence.VERIFIED,
            )
        )
    for w in windows:
        if w.planned_max is not None and w.sessions > w.planned_max:
            indicators.append(
                Indicator(
                    f"over_plan_{w.days}d",
                    f"{w.sessions} sessions in the last {w.days} days; the protocol's "
                    f"{w.phase} phase plans at most {w.planned_max}.",
                    spacing_sources,
                    Evidence.VERIFIED,
                )
            )
    threshold = cfg.mg_per_30_days_review_at.value
    w30 = next((w for w in windows if w.days == 30), None)
    if threshold is not None and w30 is not None and w30.mg >= threshold:
        indicators.append(
            Indicator(
                "mg_30d_at_review_level",
                f"{w30.mg:.0f} mg in the last 30 days (clinic review level {threshold:g} mg).",
                cfg.mg_per_30_days_review_at.sources,
                cfg.mg_per_30_days_review_at.evidence,
            )
        )
    return MisuseReport(
        as_of=as_of,
        windows=windows,
        total_mg=sum(s.delivered_mg or 0.0 for s in held) + sum(h.mg for h in home),
        total_sessions=len(held),
        early=early,
        indicators=tuple(indicators),
        sources=merge([cite(*MISUSE_SOURCES), cfg.windows.sources, cite("S34") if home else ()]),
        home_mg=sum(h.mg for h in home),
        home_doses=len(home),
    )


def _window(
    held: Sequence[SessionDose], as_of: date, days: int, home: Sequence[HomeDose] = ()
) -> WindowTotal:
    if days < 1:
        raise ClinicalInputError("a window is at least 1 day", field="windows")
    start = as_of - timedelta(days=days - 1)
    inside = [s for s in held if start <= s.on <= as_of]
    home_inside = [h for h in home if start <= h.on <= as_of]
    latest = next((s.spacing for s in reversed(inside) if s.spacing is not None), None)
    supervised = sum(s.delivered_mg or 0.0 for s in inside)
    home_mg = sum(h.mg for h in home_inside)
    return WindowTotal(
        days=days,
        start=start,
        end=as_of,
        sessions=len(inside),
        mg=supervised + home_mg,
        sessions_without_dose=sum(1 for s in inside if s.delivered_mg is None),
        planned_max=latest.planned_in(days) if latest else None,
        phase=latest.phase if latest else None,
        supervised_mg=supervised,
        home_mg=home_mg,
        home_doses=len(home_inside),
    )


def _early(ordered: Sequence[SessionDose]) -> list[EarlySession]:
    """Each session closer to the previous one than its phase's minimum spacing.

    A booked session is compared with the last session before it (held or booked), so a
    request to come back too soon shows before it is given.
    """
    found: list[EarlySession] = []
    previous: SessionDose | None = None
    for s in ordered:
        if previous is not None and s.spacing is not None:
            gap = (s.on - previous.on).days
            if gap < s.spacing.min_days_between:
                found.append(
                    EarlySession(
                        s.on, previous.on, gap, s.spacing.min_days_between, s.spacing.phase, s.held
                    )
                )
        previous = s
    return found


__all__ = [
    "EarlySession",
    "HomeDose",
    "Indicator",
    "MisuseConfig",
    "MisuseReport",
    "SessionDose",
    "Spacing",
    "WindowTotal",
    "assess_misuse",
]
