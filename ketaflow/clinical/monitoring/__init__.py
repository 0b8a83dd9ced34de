"""Session monitoring: validated readings, alerts with their sources, and when vitals are due.

- `vitals`: the `VitalSigns` reading type and the physically possible ranges.
- `thresholds`: `MonitoringThresholds`, the clinic-tunable limits with their evidence.
- `alerts`: `assess_reading` turns one reading into alerts for its phase.
- `schedule`: `vitals_due` says when the next vitals are due and what is overdue.
"""

from __future__ import annotations

from ketaflow.clinical.monitoring.alerts import (
    Action,
    Alert,
    AlertLevel,
    Phase,
    WarningSymptom,
    assess_reading,
    highest_level,
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
    "assess_reading",
    "highest_level",
    "is_sedated",
    "may_start",
    "moaas_for_reading",
    "vitals_due",
]
