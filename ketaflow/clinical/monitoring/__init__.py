"""Session monitoring: validated readings, alerts with their sources, and when vitals are due.

- `vitals`: the `VitalSigns` reading type and the physically possible ranges.
- `thresholds`: `MonitoringThresholds`, the clinic-tunable limits with their evidence.
- `alerts`: `assess_reading` turns one reading into alerts for its phase;
  `assess_in_session` is what every session path asks of it (no BP before the dose: no
  alert; no baseline before the dose).
- `schedule`: `vitals_due` says when the next vitals are due and what is overdue.
"""

from __future__ import annotations

from ketaflow.clinical.monitoring.alerts import (
    IN_SESSION_SOURCES,
    Action,
    Alert,
    AlertLevel,
    Phase,
    WarningSymptom,
    assess_in_session,
    assess_reading,
    bp_excursion_levels,
    highest_level,
    is_bp_excursion,
    may_start,
    moaas_for_reading,
)
from ketaflow.clinical.monitoring.schedule import (
    DEFAULT_SCHEDULE,
    DueCheck,
    OverdueCheck,
    VitalsDue,
    VitalsSchedule,
    vitals_due,
)
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS, MonitoringThresholds
from ketaflow.clinical.monitoring.vitals import (
    MOAAS_FULLY_ALERT,
    PHYSICAL_RANGES,
    PhysicalRange,
    VitalSigns,
    is_sedated,
)

__all__ = [
    "DEFAULT_SCHEDULE",
    "DEFAULT_THRESHOLDS",
    "IN_SESSION_SOURCES",
    "MOAAS_FULLY_ALERT",
    "PHYSICAL_RANGES",
    "Action",
    "Alert",
    "AlertLevel",
    "DueCheck",
    "MonitoringThresholds",
    "OverdueCheck",
    "Phase",
    "PhysicalRange",
    "VitalSigns",
    "VitalsDue",
    "VitalsSchedule",
    "WarningSymptom",
    "assess_in_session",
    "assess_reading",
    "bp_excursion_levels",
    "highest_level",
    "is_bp_excursion",
    "is_sedated",
    "may_start",
    "moaas_for_reading",
    "vitals_due",
]
