"""The patient's home dose diary: which answers need a clinician today, and which dose days
went unrecorded.

Doses taken away from the chair (oral or sublingual ketamine, issue #16) carry the risks the
FDA named in its 2023 warning on home use: abuse and misuse, psychiatric events, raised blood
pressure and respiratory depression; a home oral-ketamine case had respiratory depression with
a blood level about twice the anaesthetic level [S34, clinical reference 6.4]. The labels ask
for monitoring of sedation, dissociation, blood pressure and breathing after a dose [S1, S4].
Nobody watches a home dose, so the patient's own diary is the only monitoring there is; this
module decides which of its answers need a clinician at once:

- breathing trouble or fainting after the dose (respiratory depression, loss of consciousness:
  the label's serious effects) [S1, S4, S34];
- a side effect the patient calls severe [S34];
- the top answer (3) on either question of the short self-check. The self-check is **our own
  wording, not a validated scale**: the validated dissociation scale (CADSS) has no confirmed
  licence terms and a research cut-off only (clinical addendum 3 and 8, A16, A17), and MOAA/S is
  an observer's scale, not a self-report. Where the alert level sits is a clinic default;
- a home blood pressure at or above the clinic's in-session act-now level
  (`MonitoringThresholds.session_sbp_at_or_above` / `session_dbp_at_or_above`, S1, S53): one
  home for the BP limits, the monitoring thresholds;
- a dose above the one authorised for home use (the prescriber's authorisation, S1, S3).

`missed_days` lists dose days of a home schedule with no diary entry once the day is over.

Pure: no Django, no I/O, no clock (`today` is a parameter).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, cite, default
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS, MonitoringThresholds

SELF_CHECK_NOTE = (
    "A short self-check in our own words, not a validated scale: it asks the patient to "
    "tell us, not to score a symptom."
)

#: The self-check: (key, question, the four answers 0..3). Our wording (see the module note).
SELF_CHECK: tuple[tuple[str, str, tuple[str, str, str, str]], ...] = (
    (
        "detached",
        "Right now, how detached or unreal do you feel?",
        ("Not at all", "A little", "Quite a lot", "Very much, and it frightens me"),
    ),
    (
        "drowsy",
        "Right now, how drowsy are you?",
        ("Wide awake", "A little drowsy", "Very drowsy", "I can hardly stay awake"),
    ),
)
SELF_CHECK_MAX = 3

SEVERITIES = ("mild", "moderate", "severe")


@dataclass(frozen=True)
class DiaryRules:
    """The diary's alert levels, each a `ClinicDefault` with its sources."""

    self_check_alert_at_or_above: ClinicDefault[int] = default(
        3,
        "S1",
        "S34",
        evidence=Evidence.UNVERIFIED,
        note="Our own 0-3 self-check, not a validated scale: the top answer alerts. A local "
        "choice; confirm locally.",
    )
    dose_tolerance_mg: ClinicDefault[float] = default(
        0.0,
        "S1",
        "S3",
        evidence=Evidence.UNVERIFIED,
        note="How far above the authorised dose a recorded dose may be before it alerts "
        "(0: any excess). A local choice.",
    )


DEFAULT_DIARY_RULES = DiaryRules()


@dataclass(frozen=True)
class DiaryAnswers:
    """What the patient recorded about one home dose (plain values)."""

    dose_mg: float
    side_effects: frozenset[str] = frozenset()
    worst_severity: str = ""  # "", "mild", "moderate" or "severe"
    breathing_trouble: bool = False
    fainted: bool = False
    detached: int = 0
    drowsy: int = 0
    sbp: int | None = None
    dbp: int | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.dose_mg, bool)
            or not isinstance(self.dose_mg, int | float)
            or not math.isfinite(self.dose_mg)
            or self.dose_mg < 0
        ):
            raise ClinicalInputError("the dose must be a number of mg, 0 or more", field="dose_mg")
        if self.worst_severity not in ("", *SEVERITIES):
            raise ClinicalInputError("severity is mild, moderate or severe", field="worst_severity")
        for key in ("detached", "drowsy"):
            value = getattr(self, key)
            if isinstance(value, bool) or not 0 <= value <= SELF_CHECK_MAX:
                raise ClinicalInputError(f"answer 0 to {SELF_CHECK_MAX}", field=key)
        if (self.sbp is None) != (self.dbp is None):
            raise ClinicalInputError("give both blood pressure numbers, or neither", field="sbp")
        if self.sbp is not None and self.dbp is not None:
            if not 50 <= self.sbp <= 300 or not 20 <= self.dbp <= 200:
                raise ClinicalInputError("that blood pressure is not possible", field="sbp")
            if self.dbp >= self.sbp:
                raise ClinicalInputError("the lower number must be below the upper", field="dbp")


@dataclass(frozen=True)
class Concern:
    """One answer that needs a clinician today."""

    code: str
    message: str
    sources: tuple[Source, ...]
    needs_local_signoff: bool = False


def assess_entry(
    answers: DiaryAnswers,
    *,
    authorised_mg: float | None,
    thresholds: MonitoringThresholds = DEFAULT_THRESHOLDS,
    rules: DiaryRules = DEFAULT_DIARY_RULES,
) -> tuple[Concern, ...]:
    """Every worrying answer of one diary entry (empty: nothing needs a clinician today).

    `authorised_mg`: the dose per occasion the prescriber authorised for home use (None: no
    authorisation known, so no dose comparison is made).
    """
    found: list[Concern] = []
    if answers.breathing_trouble:
        found.append(
            Concern(
                "breathing",
                "Reported trouble breathing after a home dose (respiratory depression has been "
                "reported with home ketamine): contact the patient now.",
                cite("S1", "S4", "S34"),
            )
        )
    if answers.fainted:
        found.append(
            Concern(
                "fainted",
                "Reported fainting or passing out after a home dose: contact the patient now.",
                cite("S1", "S4", "S34"),
            )
        )
    if answers.worst_severity == "severe":
        which = ", ".join(sorted(answers.side_effects)) or "unspecified"
        found.append(
            Concern(
                "severe_side_effect",
                f"Reported a severe side effect after a home dose ({which}).",
                cite("S34"),
            )
        )
    level = rules.self_check_alert_at_or_above
    for key, question, words in SELF_CHECK:
        value = getattr(answers, key)
        if value >= level.value:
            found.append(
                Concern(
                    f"self_check_{key}",
                    f"Self-check '{question}' answered {value} of {SELF_CHECK_MAX} "
                    f'("{words[value]}"; not a validated scale).',
                    level.sources,
                    level.needs_local_signoff,
                )
            )
    if answers.sbp is not None and answers.dbp is not None:
        sbp_at = thresholds.session_sbp_at_or_above
        dbp_at = thresholds.session_dbp_at_or_above
        if answers.sbp >= sbp_at.value or answers.dbp >= dbp_at.value:
            found.append(
                Concern(
                    "bp_high",
                    f"Home blood pressure {answers.sbp}/{answers.dbp} mmHg is at or above the "
                    f"clinic's act-now level ({sbp_at.value:g}/{dbp_at.value:g}).",
                    tuple(dict.fromkeys(sbp_at.sources + dbp_at.sources)),
                    sbp_at.needs_local_signoff or dbp_at.needs_local_signoff,
                )
            )
    if authorised_mg is not None:
        tolerance = rules.dose_tolerance_mg
        if answers.dose_mg > authorised_mg + tolerance.value + 1e-9:
            found.append(
                Concern(
                    "dose_above_authorised",
                    f"Recorded {answers.dose_mg:g} mg; {authorised_mg:g} mg per dose was "
                    "authorised for home use.",
                    tolerance.sources,
                    tolerance.needs_local_signoff,
                )
            )
    return tuple(found)


# ---------------------------------------------------------------------------- missed days


@dataclass(frozen=True)
class HomeSchedule:
    """When home doses are due: every `every_days` days from `first_day` to `last_day`."""

    first_day: date
    every_days: int
    last_day: date | None = None
    mg_per_dose: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.every_days, bool) or self.every_days < 1:
            raise ClinicalInputError("a dose every 1 day or more", field="every_days")
        if self.last_day is not None and self.last_day < self.first_day:
            raise ClinicalInputError("the last day is before the first", field="last_day")

    def dose_days(self, until: date) -> list[date]:
        """Dose days from the first to `until` inclusive (and not after the last day)."""
        end = min(until, self.last_day) if self.last_day is not None else until
        days: list[date] = []
        day = self.first_day
        while day <= end:
            days.append(day)
            day += timedelta(days=self.every_days)
        return days


def missed_days(
    schedules: Iterable[HomeSchedule], entry_days: Iterable[date], today: date
) -> list[date]:
    """Dose days already over (before `today`) with no diary entry on that day, oldest first."""
    recorded = set(entry_days)
    due = {d for s in schedules for d in s.dose_days(today - timedelta(days=1))}
    return sorted(due - recorded)


__all__ = [
    "DEFAULT_DIARY_RULES",
    "SELF_CHECK",
    "SELF_CHECK_NOTE",
    "SEVERITIES",
    "Concern",
    "DiaryAnswers",
    "DiaryRules",
    "HomeSchedule",
    "assess_entry",
    "missed_days",
]
