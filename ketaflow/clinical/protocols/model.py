"""Versioned treatment protocols: phases, spacing, doses and the clinic's own settings.

A `Protocol` is immutable. Every number a clinic may configure is a `Setting`: the core's
`ClinicDefault` (value, sources, evidence) plus, once the clinic has set it, the local
value. `protocol.revise(...)` returns the next version with the changed settings marked as
locally set while keeping the original default for display. Who changed it and why is
recorded by the apps; a session records which version it ran under (ARCHITECTURE.md).

The protocol only holds plain numbers. The apps feed them into the other core modules:
entry thresholds and failed-treatment count into eligibility, doses into dosing, observation
minutes into discharge, review settings into `outcomes.OutcomeConfig` (`outcome_config`).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Source, merge
from ketaflow.clinical.instruments import INSTRUMENTS
from ketaflow.clinical.outcomes import OutcomeConfig
from ketaflow.clinical.routes import Route
from ketaflow.clinical.titration import TitrationRules

N = TypeVar("N", int, float)


class DoseUnit(enum.Enum):
    MG_PER_KG = "mg/kg"  # racemic ketamine, weight-based (S12, S15, S8)
    MG = "mg"  # fixed dose (esketamine devices, S1)


class PhaseKind(enum.Enum):
    INDUCTION = "induction"
    MAINTENANCE = "maintenance"


class _Default(enum.Enum):
    DEFAULT = "default"


DEFAULT: Final = _Default.DEFAULT
"""Pass as a value to `Protocol.revise` to drop a local value and go back to the default."""


@dataclass(frozen=True)
class Setting(Generic[N]):
    """A clinic-configurable number: the core default and, if set, the clinic's value.

    `local` is `()` while the clinic uses the default and `(value,)` once it has set one
    (setting the same number as the default counts: it is the clinic's sign-off).
    `minimum`/`maximum`/`step` reject impossible input (not clinical limits: those are the
    dosing and monitoring modules' job), `typical` is the range the sources describe.
    """

    default: ClinicDefault[N]
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    step: float | None = None
    typical: tuple[float, float] | None = None
    local: tuple[N, ...] = ()

    def __post_init__(self) -> None:
        if len(self.local) > 1:
            raise ClinicalInputError("at most one local value", field="local")
        self.check(self.default.value)
        for value in self.local:
            self.check(value)

    @property
    def value(self) -> N:
        return self.local[0] if self.local else self.default.value

    @property
    def is_local(self) -> bool:
        return bool(self.local)

    @property
    def needs_local_signoff(self) -> bool:
        """True while an UNVERIFIED default is still in use."""
        return not self.local and self.default.needs_local_signoff

    @property
    def sources(self) -> tuple[Source, ...]:
        return self.default.sources

    @property
    def outside_typical_range(self) -> bool:
        if self.typical is None:
            return False
        low, high = self.typical
        return not low <= self.value <= high

    def effective(self) -> ClinicDefault[N]:
        """The value in force as a `ClinicDefault`, for modules that take one."""
        if not self.local:
            return self.default
        note = f"Set locally (default {self.default.value:g}). {self.default.note}".strip()
        return dataclasses.replace(self.default, value=self.local[0], note=note)

    def check(self, value: object, field: str = "value") -> N:
        """`value` as this setting's type, or `ClinicalInputError` saying what is wrong."""
        kind = type(self.default.value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ClinicalInputError(f"must be a number, got {value!r}", field=field)
        if kind is int and not isinstance(value, int):
            raise ClinicalInputError(f"must be a whole number, got {value!r}", field=field)
        if not math.isfinite(value):
            raise ClinicalInputError("must be a finite number", field=field)
        unit = f" {self.unit}" if self.unit else ""
        if self.minimum is not None:
            if self.exclusive_minimum and value <= self.minimum:
                raise ClinicalInputError(f"must be above {self.minimum:g}{unit}", field=field)
            if value < self.minimum:
                raise ClinicalInputError(f"must be at least {self.minimum:g}{unit}", field=field)
        if self.maximum is not None and value > self.maximum:
            raise ClinicalInputError(f"must be at most {self.maximum:g}{unit}", field=field)
        if self.step is not None and not math.isclose(
            value / self.step, round(value / self.step), abs_tol=1e-9
        ):
            raise ClinicalInputError(f"must be a multiple of {self.step:g}{unit}", field=field)
        result: N = kind(value)
        return result

    def set_locally(self, value: object, field: str = "value") -> Setting[N]:
        return dataclasses.replace(self, local=(self.check(value, field),))

    def reset(self) -> Setting[N]:
        return dataclasses.replace(self, local=())


@dataclass(frozen=True)
class Phase:
    """A run of sessions with one rhythm: `sessions_per_period` every `period_days`.

    Session k (0-based) of the phase is planned `offset(k)` days after the phase's anchor,
    so 3 per 7 days gives Mon-Wed-Fri and 2 per 7 days Mon-Thu. `sessions` None means
    open-ended (only the last phase may be). `doses[i]` is the dose of session i+1 of the
    phase; the last one repeats. `requires_response`: entering this phase needs a response
    (otherwise the next step is a prescriber review).
    """

    code: str
    name: str
    kind: PhaseKind
    sessions: Setting[int] | None
    sessions_per_period: Setting[int]
    period_days: Setting[int]
    min_days_between_sessions: Setting[int]
    doses: tuple[Setting[float], ...]
    older_adult_doses: tuple[Setting[float], ...] = ()
    requires_response: bool = False
    description: str = ""
    sources: tuple[Source, ...] = ()

    def __post_init__(self) -> None:
        if not self.code or "." in self.code:
            raise ClinicalInputError("phase code must be non-empty, without dots", field="code")
        if not self.doses:
            raise ClinicalInputError(f"phase {self.code} needs at least one dose", field="doses")

    def offset(self, k: int) -> int:
        """Days from the phase anchor to its session k (0-based)."""
        return k * self.period_days.value // self.sessions_per_period.value

    @property
    def nominal_days(self) -> int | None:
        """How long the phase runs on paper (6 sessions at 3 a week: 14 days)."""
        if self.sessions is None:
            return None
        return -(-self.sessions.value * self.period_days.value // self.sessions_per_period.value)

    def dose(self, k: int, older_adult: bool = False) -> Setting[float]:
        """The dose setting for session k (0-based) of this phase."""
        doses = self.older_adult_doses if older_adult and self.older_adult_doses else self.doses
        return doses[min(k, len(doses) - 1)]

    def settings(self) -> Iterator[tuple[str, Setting[Any]]]:
        if self.sessions is not None:
            yield "sessions", self.sessions
        yield "sessions_per_period", self.sessions_per_period
        yield "period_days", self.period_days
        yield "min_days_between_sessions", self.min_days_between_sessions
        for i, dose in enumerate(self.doses, start=1):
            yield f"doses.{i}", dose
        for i, dose in enumerate(self.older_adult_doses, start=1):
            yield f"older_adult_doses.{i}", dose


_TOP_LEVEL: Final = (
    "infusion_minutes",
    "observation_minutes",
    "fasting_solids_minutes",
    "fasting_clear_liquids_minutes",
    "min_failed_adequate_treatments",
    "review_after_session",
    "non_response_below_pct",
    "older_adult_from_age",
    "max_pause_minutes",
    "titration_step_mg",
    "titration_min_days",
    "max_mg_per_dose",
    "max_mg_per_7_days",
)
#: The titration settings of a fixed-mg oral/sublingual protocol: all four or none.
_TITRATION: Final = _TOP_LEVEL[-4:]

#: `Protocol.setting_label`: the top-level settings and a phase's settings, in words.
_LABELS: Final = {
    "infusion_minutes": "Infusion length",
    "observation_minutes": "Observation after the dose, at least",
    "fasting_solids_minutes": "No solid food before the session",
    "fasting_clear_liquids_minutes": "No clear liquids before the session",
    "min_failed_adequate_treatments": "Failed adequate treatments needed to start",
    "review_after_session": "Prescriber reviews the response after session",
    "non_response_below_pct": "Non-response: improvement below",
    "older_adult_from_age": "Older-adult doses from age",
    "max_pause_minutes": "Longest pause in an infusion",
    "titration_step_mg": "Titration step, at most",
    "titration_min_days": "Days between titration steps, at least",
    "max_mg_per_dose": "Ceiling per dose",
    "max_mg_per_7_days": "Ceiling per rolling 7 days",
}
_PHASE_LABELS: Final = {
    "sessions": "sessions",
    "sessions_per_period": "sessions per period",
    "period_days": "period length",
    "min_days_between_sessions": "days between sessions, at least",
    "doses": "dose step",
    "older_adult_doses": "older-adult dose step",
}

assert set(_LABELS) == set(_TOP_LEVEL), "every top-level setting has words"


@dataclass(frozen=True)
class Protocol:
    """One version of a treatment protocol; revise it to make the next version.

    `entry_thresholds`: (instrument code, Setting) pairs; a patient qualifies when the
    instrument's score is *above* the value (Glue programme: HAM-A > 20, LSAS-SR > 50, S11).
    `review_after_session` / `non_response_below_pct`: the prescriber reviews the course
    after this session, and the outcome is a non-response signal below this improvement
    (S17: < 20% after session 4). `older_adult_from_age`: from this age the phases'
    `older_adult_doses` apply (esketamine: 28 mg start at >= 65, S1/S2).
    """

    code: str
    name: str
    version: int
    route: Route
    dose_unit: DoseUnit
    description: str
    sources: tuple[Source, ...]
    phases: tuple[Phase, ...]
    observation_minutes: Setting[int]
    fasting_solids_minutes: Setting[int]
    fasting_clear_liquids_minutes: Setting[int]
    min_failed_adequate_treatments: Setting[int]
    review_after_session: Setting[int]
    non_response_below_pct: Setting[float]
    infusion_minutes: Setting[int] | None = None
    entry_thresholds: tuple[tuple[str, Setting[int]], ...] = ()
    older_adult_from_age: Setting[int] | None = None
    #: IV: how long the infusion may stay paused before the pause needs a reason
    #: (`session_exceptions.MAX_PAUSE_MINUTES` when the protocol has none).
    max_pause_minutes: Setting[int] | None = None
    #: Experimental: thin evidence (oral, sublingual: reference 3.2 "experimental", S22b);
    #: shown wherever protocols are listed or adopted, and needs the clinic's own sign-off.
    experimental: bool = False
    #: Fixed-mg titration (oral, sublingual): the start dose is the first phase's first dose.
    titration_step_mg: Setting[float] | None = None
    titration_min_days: Setting[int] | None = None
    max_mg_per_dose: Setting[float] | None = None
    max_mg_per_7_days: Setting[float] | None = None

    def __post_init__(self) -> None:
        if not self.code:
            raise ClinicalInputError("a protocol needs a code", field="code")
        if isinstance(self.version, bool) or not isinstance(self.version, int):
            raise ClinicalInputError("version must be a whole number", field="version")
        if self.version < 1:
            raise ClinicalInputError("version starts at 1", field="version")
        if not self.phases:
            raise ClinicalInputError("a protocol needs at least one phase", field="phases")
        codes = [p.code for p in self.phases]
        if len(set(codes)) != len(codes) or set(codes) & {*_TOP_LEVEL, "entry_thresholds"}:
            raise ClinicalInputError(f"phase codes must be unique: {codes}", field="phases")
        if any(p.sessions is None for p in self.phases[:-1]):
            raise ClinicalInputError("only the last phase may be open-ended", field="phases")
        instruments = [code for code, _ in self.entry_thresholds]
        if len(set(instruments)) != len(instruments):
            raise ClinicalInputError("one entry threshold per instrument", field="entry_thresholds")
        if self.older_adult_from_age is not None and not all(
            p.older_adult_doses for p in self.phases
        ):
            raise ClinicalInputError(
                "every phase needs older-adult doses when the protocol has an age cut-off",
                field="older_adult_doses",
            )
        given = [getattr(self, name) is not None for name in _TITRATION]
        if any(given) and not all(given):
            raise ClinicalInputError(
                "a titrated protocol needs all four titration settings", field="titration"
            )
        if all(given) and self.dose_unit is not DoseUnit.MG:
            raise ClinicalInputError("titration is in fixed mg doses", field="dose_unit")
        if all(given):
            self.titration()  # the core checks the numbers agree (start <= ceilings)
        total = self.total_sessions
        review = self.review_after_session.value
        if total is not None and review > total:
            raise ClinicalInputError(
                f"review after session {review} but the series has only {total} sessions",
                field="review_after_session",
            )

    # -- reading ---------------------------------------------------------------------

    @property
    def thresholds(self) -> dict[str, Setting[int]]:
        """Entry thresholds by instrument code (score must be above the value)."""
        return dict(self.entry_thresholds)

    @property
    def total_sessions(self) -> int | None:
        """Sessions in the whole series; None if the last phase is open-ended."""
        if self.phases[-1].sessions is None:
            return None
        return sum(p.sessions.value for p in self.phases if p.sessions is not None)

    def titration(self) -> TitrationRules | None:
        """The titration rules in force (local values where set), or None when not titrated."""
        if (
            self.titration_step_mg is None
            or self.titration_min_days is None
            or self.max_mg_per_dose is None
            or self.max_mg_per_7_days is None
        ):
            return None
        return TitrationRules(
            start_mg=self.phases[0].dose(0).effective(),
            step_mg=self.titration_step_mg.effective(),
            min_days_between_steps=self.titration_min_days.effective(),
            max_mg_per_dose=self.max_mg_per_dose.effective(),
            max_mg_per_7_days=self.max_mg_per_7_days.effective(),
        )

    def phase_of(self, number: int) -> tuple[Phase, int] | None:
        """The phase of course session `number` (1-based) and its 0-based index in it."""
        if number < 1:
            raise ClinicalInputError("session numbers start at 1", field="number")
        k = number - 1
        for phase in self.phases:
            if phase.sessions is None or k < phase.sessions.value:
                return phase, k
            k -= phase.sessions.value
        return None

    def settings(self) -> tuple[tuple[str, Setting[Any]], ...]:
        """Every configurable value with its key (the keys `revise` accepts)."""
        found: list[tuple[str, Setting[Any]]] = []
        for name in _TOP_LEVEL:
            setting = getattr(self, name)
            if setting is not None:
                found.append((name, setting))
        found.extend((f"entry_thresholds.{code}", s) for code, s in self.entry_thresholds)
        for phase in self.phases:
            found.extend((f"{phase.code}.{key}", s) for key, s in phase.settings())
        return tuple(found)

    def phase_name(self, code: str) -> str:
        """A phase's name for the screens (appointments and plans store its code)."""
        found = next((p for p in self.phases if p.code == code), None)
        return found.name if found is not None else code.replace("_", " ")

    def setting_label(self, key: str) -> str:
        """A setting's name in words for the clinic's screens (`settings()` keys are codes)."""
        head, _, rest = key.partition(".")
        if head in _LABELS and not rest:
            return _LABELS[head]
        if head == "entry_thresholds":
            found = INSTRUMENTS.get(rest)
            return f"Entry score above: {found.name if found else rest.upper()}"
        phase = next((p for p in self.phases if p.code == head), None)
        if phase is None:
            raise ClinicalInputError(f"no setting {key!r} in protocol {self.code}", field=key)
        name, _, index = rest.partition(".")
        what = _PHASE_LABELS.get(name, name.replace("_", " "))
        return f"{phase.name} · {what}{f' {index}' if index else ''}"

    def setting(self, key: str) -> Setting[Any]:
        for name, found in self.settings():
            if name == key:
                return found
        raise ClinicalInputError(f"no setting {key!r} in protocol {self.code}", field=key)

    def needs_signoff(self) -> tuple[str, ...]:
        """Keys of settings still on an UNVERIFIED default: show as needing local sign-off."""
        return tuple(key for key, s in self.settings() if s.needs_local_signoff)

    def local_settings(self) -> tuple[str, ...]:
        return tuple(key for key, s in self.settings() if s.is_local)

    @property
    def all_sources(self) -> tuple[Source, ...]:
        groups = [self.sources]
        groups.extend(p.sources for p in self.phases)
        groups.extend(s.sources for _, s in self.settings())
        return merge(groups)

    def outcome_config(self) -> OutcomeConfig:
        """The outcome rules this protocol asks for (non-response review point and level)."""
        return OutcomeConfig(
            improvement_min_pct=self.non_response_below_pct.effective(),
            non_response_after_session=self.review_after_session.effective(),
        )

    # -- revising --------------------------------------------------------------------

    def revise(self, changes: Mapping[str, object] | None = None, /, **more: object) -> Protocol:
        """The next version, with these settings set locally (or reset with `DEFAULT`).

        Keys are those of `settings()`: "observation_minutes", "entry_thresholds.ham_a",
        "induction.sessions", "induction.doses.2", ... (dotted keys go in `changes`).
        `name` and `description` may be changed too.
        """
        merged = {**(changes or {}), **more}
        if not merged:
            raise ClinicalInputError("nothing to revise: name at least one setting", field="")
        top: dict[str, Any] = {"version": self.version + 1}
        thresholds = dict(self.entry_thresholds)
        in_phase: dict[str, dict[str, Any]] = {p.code: {} for p in self.phases}
        for key, value in merged.items():
            if key in ("name", "description"):
                if not isinstance(value, str):
                    raise ClinicalInputError("must be text", field=key)
                top[key] = value
                continue
            current = self.setting(key)
            new = current.reset() if value is DEFAULT else current.set_locally(value, key)
            head, _, rest = key.partition(".")
            if head in _TOP_LEVEL:
                top[head] = new
            elif head == "entry_thresholds":
                thresholds[rest] = new
            else:
                phase = next(p for p in self.phases if p.code == head)
                name, _, index = rest.partition(".")
                if index:
                    doses = list(in_phase[head].get(name, getattr(phase, name)))
                    doses[int(index) - 1] = new
                    in_phase[head][name] = tuple(doses)
                else:
                    in_phase[head][name] = new
        phases = tuple(dataclasses.replace(p, **in_phase[p.code]) for p in self.phases)
        return dataclasses.replace(
            self, phases=phases, entry_thresholds=tuple(thresholds.items()), **top
        )


__all__ = ["DEFAULT", "DoseUnit", "Phase", "PhaseKind", "Protocol", "Setting"]
