"""Dosing as the engines see it: IV infusion segments and boluses, from a regimen or a record.

A session's administration record (start, pause, resume, rate change, stop, bolus) is turned
into piecewise-constant IV rates plus instantaneous doses. That is all a linear model needs, and
it keeps delivered drug derived from the events, never stored twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ketaflow.clinical.administration import AdministrationRecord
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk.compartment_models import PkRoute


@dataclass(frozen=True)
class Infusion:
    """IV infusion at a constant rate over [start_min, end_min)."""

    start_min: float
    end_min: float
    mg_per_min: float

    @property
    def mg(self) -> float:
        return self.mg_per_min * (self.end_min - self.start_min)


@dataclass(frozen=True)
class Bolus:
    """An instantaneous dose: into plasma for IV, into an absorption depot otherwise."""

    at_min: float
    mg: float
    route: PkRoute = PkRoute.IV


@dataclass(frozen=True)
class Regimen:
    infusions: tuple[Infusion, ...] = ()
    boluses: tuple[Bolus, ...] = ()

    @property
    def total_mg(self) -> float:
        return sum(i.mg for i in self.infusions) + sum(b.mg for b in self.boluses)

    @property
    def routes(self) -> frozenset[PkRoute]:
        routes = {b.route for b in self.boluses}
        if self.infusions:
            routes.add(PkRoute.IV)
        return frozenset(routes)

    @property
    def last_event_min(self) -> float:
        ends = [i.end_min for i in self.infusions] + [b.at_min for b in self.boluses]
        return max(ends, default=0.0)

    def scaled(self, factor: float) -> Regimen:
        """The same schedule with every amount multiplied (linearity, mg/kg -> mg)."""
        return Regimen(
            tuple(Infusion(i.start_min, i.end_min, i.mg_per_min * factor) for i in self.infusions),
            tuple(Bolus(b.at_min, b.mg * factor, b.route) for b in self.boluses),
        )


def _finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise ClinicalInputError("must be a finite number", field=name)
    return float(value)


def validate_regimen(regimen: Regimen) -> Regimen:
    """Refuse negative amounts or times and empty infusions: say which item is at fault."""
    for i in regimen.infusions:
        start = _finite(i.start_min, "start_min")
        end = _finite(i.end_min, "end_min")
        rate = _finite(i.mg_per_min, "mg_per_min")
        if start < 0:
            raise ClinicalInputError("an infusion cannot start before time 0", field="start_min")
        if end <= start:
            raise ClinicalInputError("an infusion needs a positive duration", field="minutes")
        if rate < 0:
            raise ClinicalInputError("an infusion rate cannot be negative", field="mg_per_min")
    for b in regimen.boluses:
        if _finite(b.at_min, "at_min") < 0:
            raise ClinicalInputError("a dose cannot be given before time 0", field="at_min")
        if _finite(b.mg, "mg") < 0:
            raise ClinicalInputError("a dose cannot be negative", field="mg")
    return regimen


def single_dose(route: PkRoute, mg: float, minutes: float | None = None) -> Regimen:
    """One dose at time 0: an IV infusion over `minutes` (IV bolus if None), else a depot dose."""
    if mg <= 0 or not math.isfinite(mg):
        raise ClinicalInputError("the dose must be greater than 0", field="mg_per_kg")
    if route is PkRoute.IV and minutes is not None:
        if not math.isfinite(minutes) or minutes <= 0:
            raise ClinicalInputError("the infusion needs a positive duration", field="minutes")
        return Regimen(infusions=(Infusion(0.0, float(minutes), mg / minutes),))
    return Regimen(boluses=(Bolus(0.0, float(mg), route),))


def validate_times(times: ArrayLike) -> NDArray[np.float64]:
    """Sample times in minutes: finite, not negative, strictly increasing."""
    t = np.asarray(times, dtype=np.float64).ravel()
    if t.size == 0:
        raise ClinicalInputError("give at least one time", field="times")
    if not np.all(np.isfinite(t)) or t[0] < 0:
        raise ClinicalInputError("times must be finite and not negative", field="times")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        raise ClinicalInputError("times must be strictly increasing", field="times")
    return t


def grid(horizon_min: float, step_min: float = 1.0) -> NDArray[np.float64]:
    """0, step, 2·step, ... up to and including the horizon."""
    if horizon_min <= 0 or step_min <= 0:
        raise ClinicalInputError("the horizon and step must be positive", field="times")
    n = math.floor(horizon_min / step_min + 1e-9)
    return np.arange(n + 1, dtype=np.float64) * step_min


# ---------------------------------------------------------------------------------------------
# Administration record


def regimen_from_record(
    record: AdministrationRecord,
    *,
    origin: datetime | None = None,
    until: datetime | None = None,
    bolus_route: PkRoute = PkRoute.IV,
) -> Regimen:
    """The simulator's piecewise-constant rates and doses for a session's administration record.

    The record is validated once, by `ketaflow.clinical.administration.validate_events` (the
    same rules the chart enforces); this only converts its running segments and boluses to
    minutes from `origin` (default: the first dose). A record whose infusion is still running
    or paused needs `until`, the projection "if it stopped then"; without it the curve would
    have to guess when the infusion ends, so it is refused.
    """
    start = origin or record.first_dose_at
    if start is None:
        return Regimen()

    def minutes(at: datetime) -> float:
        value = (at - start).total_seconds() / 60.0
        if value < 0:
            raise ClinicalInputError("the origin is after the first event", field="origin")
        return value

    infusions: list[Infusion] = []
    for seg in record.segments:
        end = seg.end
        if end is None:
            if until is None:
                raise ClinicalInputError(
                    "the record ends with the infusion still running: give the time to "
                    "project it to (or record the stop)",
                    field="events",
                )
            end = max(until, seg.start)
        if end > seg.start:
            infusions.append(Infusion(minutes(seg.start), minutes(end), seg.mg_per_min))
    boluses = tuple(Bolus(minutes(b.at), b.mg, bolus_route) for b in record.boluses)
    return Regimen(tuple(infusions), boluses)


def breakpoints(regimen: Regimen, extra: Iterable[float] = ()) -> list[float]:
    """Every time at which the input changes, sorted, without duplicates."""
    times = {i.start_min for i in regimen.infusions} | {i.end_min for i in regimen.infusions}
    times |= {b.at_min for b in regimen.boluses}
    times |= set(extra)
    return sorted(times)
