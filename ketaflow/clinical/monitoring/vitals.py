"""A validated set of observations taken together: vital signs, MOAA/S and CADSS.

An impossible reading is an input error, never an alert: a diastolic at or above the
systolic, an SpO2 over 100 % or a heart rate of 900 is a typing or device error, and
alerting on it would train staff to ignore alerts. `PHYSICAL_RANGES` are the limits of
physiological possibility (generous on purpose), not clinical targets; the clinical
thresholds live in `MonitoringThresholds`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from ketaflow.clinical.errors import ClinicalInputError

#: MOAA/S 5 = responds readily to name in a normal tone: fully alert; anything lower is
#: sedation (SPRAVATO label, S1). One home for "sedated", read by the in-session alerts, the
#: discharge rule and the REMS monitoring record.
MOAAS_FULLY_ALERT: Final = 5


def is_sedated(moaas: int) -> bool:
    """Any MOAA/S below fully alert is sedation (S1)."""
    return moaas < MOAAS_FULLY_ALERT


@dataclass(frozen=True)
class PhysicalRange:
    """Inclusive limits outside which a reading cannot be a real measurement."""

    low: float
    high: float
    unit: str
    label: str
    integer: bool = False

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.low:g}\N{EN DASH}{self.high:g}{unit}"


#: Physically possible ranges of each field (documented, not clinical targets).
#: Blood pressure 40-300 / 20-200 mmHg, heart rate 20-300 /min and respiratory rate
#: 0-80 /min cover every value a cuff, monitor or count can truly produce in a living,
#: conscious-enough-to-be-in-a-clinic adult; SpO2 is a percentage (0-100 %).
#: MOAA/S is scored 0-5 (SPRAVATO label, S1); the 23-item CADSS total is 0-92 (A18).
PHYSICAL_RANGES: Final[dict[str, PhysicalRange]] = {
    "sbp": PhysicalRange(40, 300, "mmHg", "systolic blood pressure"),
    "dbp": PhysicalRange(20, 200, "mmHg", "diastolic blood pressure"),
    "hr": PhysicalRange(20, 300, "beats/min", "heart rate"),
    "rr": PhysicalRange(0, 80, "breaths/min", "respiratory rate"),
    "spo2": PhysicalRange(0, 100, "%", "oxygen saturation (SpO2)"),
    "moaas": PhysicalRange(0, 5, "", "MOAA/S sedation score", integer=True),
    "cadss": PhysicalRange(0, 92, "", "CADSS total (23 items, 0-4 each)", integer=True),
}

#: Supplemental oxygen flow, when given: more than 0 (0 is room air) and at most 60 L/min,
#: the top of high-flow nasal oxygen. A treatment, not a vital sign, so not in the ranges.
OXYGEN_FLOW_MAX_L_PER_MIN: Final = 60.0

#: The measured fields (everything but the supplemental oxygen).
MEASURED: Final = ("sbp", "dbp", "hr", "spo2", "rr", "moaas", "cadss")


def _check(name: str, value: float | None) -> None:
    if value is None:
        return
    rng = PHYSICAL_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClinicalInputError(f"{rng.label} must be a number, got {value!r}", field=name)
    if not math.isfinite(value):
        raise ClinicalInputError(f"{rng.label} must be a finite number", field=name)
    if rng.integer and value != int(value):
        raise ClinicalInputError(
            f"{rng.label} is a whole-number score ({rng.describe()}), got {value:g}",
            field=name,
        )
    if not rng.low <= value <= rng.high:
        raise ClinicalInputError(
            f"{rng.label} of {value:g} is outside the physically possible range "
            f"{rng.describe()}; check the reading and its units",
            field=name,
        )


@dataclass(frozen=True)
class VitalSigns:
    """One set of observations. Any field may be missing (None).

    Rules that need a value say so (for example the pre-dose blood-pressure check raises
    when there is no blood pressure). Construction validates every value present.
    """

    sbp: float | None = None  # systolic blood pressure, mmHg
    dbp: float | None = None  # diastolic blood pressure, mmHg
    hr: float | None = None  # heart rate, beats/min
    spo2: float | None = None  # peripheral oxygen saturation, %
    rr: float | None = None  # respiratory rate, breaths/min
    moaas: int | None = None  # Modified Observer's Assessment of Alertness/Sedation, 0-5
    cadss: int | None = None  # CADSS total, 0-92
    # Supplemental oxygen when the reading was taken: an SpO2 read on oxygen does not show
    # the patient oxygenates on room air (modified Aldrete SpO2 item, S41).
    on_oxygen: bool = False
    oxygen_l_per_min: float | None = None  # flow, if known

    def __post_init__(self) -> None:
        for name in MEASURED:
            _check(name, getattr(self, name))
        self._check_oxygen()
        if self.sbp is not None and self.dbp is not None and self.dbp >= self.sbp:
            raise ClinicalInputError(
                f"diastolic blood pressure ({self.dbp:g} mmHg) must be lower than the "
                f"systolic ({self.sbp:g} mmHg); the two may have been swapped",
                field="dbp",
            )

    def _check_oxygen(self) -> None:
        flow = self.oxygen_l_per_min
        if not isinstance(self.on_oxygen, bool):
            raise ClinicalInputError("on oxygen must be true or false", field="on_oxygen")
        if flow is None:
            return
        if isinstance(flow, bool) or not isinstance(flow, int | float) or not math.isfinite(flow):
            raise ClinicalInputError("oxygen flow must be a number", field="oxygen_l_per_min")
        if not self.on_oxygen:
            raise ClinicalInputError(
                "an oxygen flow was given but the patient is not marked as on oxygen",
                field="oxygen_l_per_min",
            )
        if not 0 < flow <= OXYGEN_FLOW_MAX_L_PER_MIN:
            raise ClinicalInputError(
                f"oxygen flow must be above 0 and at most {OXYGEN_FLOW_MAX_L_PER_MIN:g} L/min "
                "(0 is room air: untick oxygen instead)",
                field="oxygen_l_per_min",
            )

    @property
    def has_bp(self) -> bool:
        return self.sbp is not None and self.dbp is not None

    @property
    def is_empty(self) -> bool:
        """No measurement at all (being on oxygen is not a measurement)."""
        return all(getattr(self, name) is None for name in MEASURED)

    def require(self, *names: str, purpose: str) -> None:
        """Raise if any of these fields is missing, saying what it is needed for."""
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            labels = ", ".join(PHYSICAL_RANGES[n].label for n in missing)
            raise ClinicalInputError(f"{labels} needed for {purpose}", field=missing[0])


__all__ = [
    "MEASURED",
    "OXYGEN_FLOW_MAX_L_PER_MIN",
    "PHYSICAL_RANGES",
    "PhysicalRange",
    "VitalSigns",
]
