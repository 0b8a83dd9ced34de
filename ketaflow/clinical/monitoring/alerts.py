"""Alerts from one set of observations: level, actions, threshold, value and sources.

Phase matters. Before dosing the question is "may we start?" (SPRAVATO's > 140/90
"consider delaying", S1; the Swiss label's > 180/100 contraindication, S4). During and
after dosing the question is "what now?" (label Table 6 categories SBP >= 180,
DBP >= 110, rises >= 40/25 from pre-dose, S1; sedation = any fall of MOAA/S from
pre-dose, S1). SpO2, respiratory-rate, heart-rate and deep-sedation triggers are clinic
defaults needing local sign-off (see `MonitoringThresholds`). CADSS is informational:
"> 4" is a research convention (A16) that does not separate clinically judged
dissociation (A17), so the alert asks for the clinician's judgement instead of acting.

Breathing and sedation together (`respiratory.depression`): no ketamine-specific SpO2 or
respiratory-rate trigger was found (clinical.md 4.3), so a slow respiratory rate, a low SpO2
or a fall in MOAA/S ALONE stays a warning (recheck, call the prescriber); two of them in
the same reading (a slow rate, a low SpO2 or the need for oxygen, a patient not fully
alert) are the picture of respiratory depression, which the REMS says to monitor until
it resolves (S1, S3) and which CNS depressants add to (S4, S49); ketamine outside
anaesthesia is held to anaesthesia's rescue standards (S35, A15). That combination is
CRITICAL: stop the infusion, airway/oxygen, call the prescriber. Escalating on two signs
is a clinic rule needing local sign-off, like the thresholds it combines.

Every alert has a stable `code` (screens, audit and tests key on it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ketaflow.clinical.evidence import ClinicDefault, Source, cite, merge
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS, MonitoringThresholds
from ketaflow.clinical.monitoring.vitals import VitalSigns, is_sedated


class Phase(enum.Enum):
    """Where in the session a reading was taken."""

    PRE_DOSE = "pre_dose"
    DURING_DOSE = "during_dose"  # infusion running / between esketamine devices
    POST_DOSE = "post_dose"  # observation after the dose is complete


class AlertLevel(enum.IntEnum):
    """Ordered: a higher value is more urgent."""

    INFO = 1
    WARN = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Action(enum.Enum):
    DO_NOT_START = "do_not_start"
    CONSIDER_DELAYING = "consider_delaying"  # prescriber weighs benefit and risk (S1)
    EMERGENCY_CARE = "emergency_care"
    PAUSE_INFUSION = "pause_infusion"  # or withhold the next esketamine device
    STOP_INFUSION = "stop_infusion"  # and give no further doses
    AIRWAY_OXYGEN = "airway_oxygen"
    CALL_PRESCRIBER = "call_prescriber"
    RECHECK = "recheck"
    CONTINUE_MONITORING = "continue_monitoring"
    RECORD_CLINICIAN_JUDGEMENT = "record_clinician_judgement"

    @property
    def label(self) -> str:
        return {
            Action.DO_NOT_START: "Do not start dosing",
            Action.CONSIDER_DELAYING: "Consider delaying: prescriber to weigh benefit and risk",
            Action.EMERGENCY_CARE: "Get emergency care now",
            Action.PAUSE_INFUSION: "Pause the infusion / give no further doses",
            Action.STOP_INFUSION: "Stop the infusion / give no further doses",
            Action.AIRWAY_OXYGEN: "Airway/oxygen: rouse the patient, open the airway, give oxygen",
            Action.CALL_PRESCRIBER: "Call the prescriber",
            Action.RECHECK: "Recheck",
            Action.CONTINUE_MONITORING: "Continue monitoring",
            Action.RECORD_CLINICIAN_JUDGEMENT: "Record the clinician's judgement",
        }[self]


class WarningSymptom(enum.Enum):
    """Symptoms of hypertensive crisis or encephalopathy: emergency care (S1)."""

    CHEST_PAIN = "chest_pain"
    SHORTNESS_OF_BREATH = "shortness_of_breath"
    SUDDEN_SEVERE_HEADACHE = "sudden_severe_headache"
    VISUAL_DISTURBANCE = "visual_disturbance"
    SEIZURE = "seizure"
    REDUCED_CONSCIOUSNESS = "reduced_consciousness"
    FOCAL_NEUROLOGICAL_DEFICIT = "focal_neurological_deficit"


@dataclass(frozen=True)
class Alert:
    """One finding. `threshold_name`/`threshold_value` say which limit the `value` crossed."""

    code: str
    level: AlertLevel
    actions: tuple[Action, ...]
    message: str
    sources: tuple[Source, ...]
    vital: str | None = None
    value: float | None = None
    threshold_name: str | None = None
    threshold_value: float | None = None
    recheck_in_minutes: int | None = None
    needs_local_signoff: bool = False

    @property
    def action(self) -> Action:
        """The most urgent action (first in `actions`)."""
        return self.actions[0]


def highest_level(alerts: Iterable[Alert]) -> AlertLevel | None:
    """The most urgent level among these alerts, None when there are none."""
    return max((a.level for a in alerts), default=None)


def may_start(alerts: Iterable[Alert]) -> bool:
    """False when any alert says do not start."""
    return not any(Action.DO_NOT_START in a.actions for a in alerts)


class _Builder:
    """Collects alerts for one reading; knows the phase and the thresholds."""

    def __init__(self, phase: Phase, thresholds: MonitoringThresholds) -> None:
        self.phase = phase
        self.t = thresholds
        self.alerts: list[Alert] = []

    def add(
        self,
        code: str,
        level: AlertLevel,
        actions: tuple[Action, ...],
        message: str,
        *,
        vital: str | None = None,
        value: float | None = None,
        threshold: str | None = None,
        extra_sources: tuple[Source, ...] = (),
        needs_signoff: bool = False,
    ) -> None:
        limit: ClinicDefault[float] | ClinicDefault[int] | None = (
            getattr(self.t, threshold) if threshold else None
        )
        recheck: int | None = None
        if Action.RECHECK in actions:
            which = (
                "recheck_critical_minutes"
                if level is AlertLevel.CRITICAL
                else ("recheck_warn_minutes")
            )
            recheck = getattr(self.t, which).value
        sources = merge([limit.sources if limit else (), extra_sources])
        self.alerts.append(
            Alert(
                code=code,
                level=level,
                actions=actions,
                message=message,
                sources=sources,
                vital=vital,
                value=value,
                threshold_name=threshold,
                threshold_value=limit.value if limit else None,
                recheck_in_minutes=recheck,
                needs_local_signoff=needs_signoff or bool(limit and limit.needs_local_signoff),
            )
        )

    def urgent(self, *rest: Action) -> tuple[Action, ...]:
        """Critical in-session actions: pause dosing first if it is still running."""
        head = (Action.PAUSE_INFUSION,) if self.phase is Phase.DURING_DOSE else ()
        return (*head, *rest)


def _predose_bp(b: _Builder, r: VitalSigns) -> None:
    t = b.t
    for vital, name, stop, caution in (
        ("sbp", "systolic", "predose_do_not_start_sbp_above", "predose_caution_sbp_above"),
        ("dbp", "diastolic", "predose_do_not_start_dbp_above", "predose_caution_dbp_above"),
    ):
        value = getattr(r, vital)
        if value > getattr(t, stop).value:
            b.add(
                f"predose.{vital}.do_not_start",
                AlertLevel.CRITICAL,
                (Action.DO_NOT_START, Action.CALL_PRESCRIBER),
                f"Pre-dose {name} {value:g} mmHg is above {getattr(t, stop).value:g}: "
                "uncontrolled hypertension, do not start.",
                vital=vital,
                value=value,
                threshold=stop,
            )
        elif value > getattr(t, caution).value:
            b.add(
                f"predose.{vital}.caution",
                AlertLevel.WARN,
                (Action.CONSIDER_DELAYING, Action.RECHECK),
                f"Pre-dose {name} {value:g} mmHg is above {getattr(t, caution).value:g}: "
                "consider delaying; recheck after rest.",
                vital=vital,
                value=value,
                threshold=caution,
            )


def _session_bp(b: _Builder, r: VitalSigns, baseline: VitalSigns | None) -> None:
    t = b.t
    for vital, name, absolute, rise in (
        ("sbp", "systolic", "session_sbp_at_or_above", "session_sbp_rise_at_or_above"),
        ("dbp", "diastolic", "session_dbp_at_or_above", "session_dbp_rise_at_or_above"),
    ):
        value = getattr(r, vital)
        if value is None:
            continue
        if value >= getattr(t, absolute).value:
            b.add(
                f"session.{vital}.high",
                AlertLevel.CRITICAL,
                b.urgent(Action.CALL_PRESCRIBER, Action.RECHECK),
                f"{name.capitalize()} {value:g} mmHg is at or above "
                f"{getattr(t, absolute).value:g}. If it stays high, get help from a clinician "
                "experienced in blood-pressure management.",
                vital=vital,
                value=value,
                threshold=absolute,
            )
            continue
        base = getattr(baseline, vital) if baseline else None
        if base is not None and value - base >= getattr(t, rise).value:
            b.add(
                f"session.{vital}.rise",
                AlertLevel.WARN,
                (Action.RECHECK, Action.CONTINUE_MONITORING),
                f"{name.capitalize()} {value:g} mmHg has risen {value - base:g} mmHg from the "
                f"pre-dose {base:g} (limit {getattr(t, rise).value:g}); recheck, tell the "
                "prescriber if it stays raised.",
                vital=vital,
                value=value - base,
                threshold=rise,
            )


def _spo2(b: _Builder, r: VitalSigns) -> None:
    t, value = b.t, r.spo2
    if value is None:
        return
    pre = b.phase is Phase.PRE_DOSE
    if value < t.spo2_critical_below.value:
        b.add(
            "spo2.critical",
            AlertLevel.CRITICAL,
            (Action.DO_NOT_START, Action.CALL_PRESCRIBER)
            if pre
            else b.urgent(Action.CALL_PRESCRIBER, Action.RECHECK),
            f"SpO2 {value:g} % is below {t.spo2_critical_below.value:g} %.",
            vital="spo2",
            value=value,
            threshold="spo2_critical_below",
        )
    elif value < t.spo2_warn_below.value:
        b.add(
            "spo2.low",
            AlertLevel.WARN,
            (Action.CONSIDER_DELAYING, Action.RECHECK) if pre else (Action.RECHECK,),
            f"SpO2 {value:g} % is below {t.spo2_warn_below.value:g} %.",
            vital="spo2",
            value=value,
            threshold="spo2_warn_below",
        )


def _out_of_range(
    b: _Builder, vital: str, label: str, unit: str, value: float | None, low: str, high: str
) -> None:
    if value is None:
        return
    pre = b.phase is Phase.PRE_DOSE
    actions = (
        (Action.CONSIDER_DELAYING, Action.CALL_PRESCRIBER)
        if pre
        else (Action.RECHECK, Action.CALL_PRESCRIBER)
    )
    t = b.t
    if value < getattr(t, low).value:
        b.add(
            f"{vital}.low",
            AlertLevel.WARN,
            actions,
            f"{label} {value:g} {unit} is below {getattr(t, low).value:g}.",
            vital=vital,
            value=value,
            threshold=low,
        )
    elif value > getattr(t, high).value:
        b.add(
            f"{vital}.high",
            AlertLevel.WARN,
            actions,
            f"{label} {value:g} {unit} is above {getattr(t, high).value:g}.",
            vital=vital,
            value=value,
            threshold=high,
        )


def _sedation(b: _Builder, r: VitalSigns, baseline: VitalSigns | None) -> None:
    value = r.moaas
    if value is None:
        return
    if b.phase is Phase.PRE_DOSE:
        if is_sedated(value):
            b.add(
                "predose.moaas.not_alert",
                AlertLevel.WARN,
                (Action.CONSIDER_DELAYING, Action.CALL_PRESCRIBER),
                f"MOAA/S {value} before dosing: not fully alert. Check for sedatives; "
                "ketamine adds to their sedation.",
                vital="moaas",
                value=value,
                extra_sources=cite("S1", "S4", "S49"),
            )
        return
    deep = b.t.moaas_deep_sedation_at_or_below
    if value == 0:
        b.add(
            "moaas.unresponsive",
            AlertLevel.CRITICAL,
            b.urgent(Action.CALL_PRESCRIBER, Action.RECHECK),
            "MOAA/S 0: no response to painful stimulus (loss of consciousness).",
            vital="moaas",
            value=value,
            threshold="moaas_deep_sedation_at_or_below",
        )
    elif value <= deep.value:
        b.add(
            "moaas.deep_sedation",
            AlertLevel.CRITICAL,
            b.urgent(Action.CALL_PRESCRIBER, Action.RECHECK),
            f"MOAA/S {value} is at or below {deep.value}: deeply sedated.",
            vital="moaas",
            value=value,
            threshold="moaas_deep_sedation_at_or_below",
        )
    else:
        pre_value = baseline.moaas if baseline and baseline.moaas is not None else 5
        if value < pre_value:
            b.add(
                "moaas.sedation",
                AlertLevel.WARN,
                (Action.CONTINUE_MONITORING, Action.RECHECK),
                f"MOAA/S {value}, down from {pre_value} before dosing: sedated. Monitor until "
                "it is back to the pre-dose level.",
                vital="moaas",
                value=value,
                extra_sources=cite("S1"),
            )


def _oxygen(b: _Builder, r: VitalSigns) -> None:
    if not r.on_oxygen:
        return
    flow = f" at {r.oxygen_l_per_min:g} L/min" if r.oxygen_l_per_min is not None else ""
    b.add(
        "oxygen.in_use",
        AlertLevel.WARN,
        (Action.CONSIDER_DELAYING, Action.CALL_PRESCRIBER)
        if b.phase is Phase.PRE_DOSE
        else (Action.CALL_PRESCRIBER, Action.CONTINUE_MONITORING),
        f"On supplemental oxygen{flow}: an SpO2 read on oxygen can hide slow breathing. "
        "Watch the respiratory rate and sedation; the patient leaves only on room air.",
        vital="spo2",
        value=r.spo2,
        extra_sources=cite("S41", "S1", "S3"),
    )


def _breathing_signs(b: _Builder, r: VitalSigns, moaas: int | None) -> list[str]:
    """The signs of respiratory depression present in this reading, in words."""
    t, signs = b.t, []
    if r.rr is not None and r.rr < t.rr_low_below.value:
        signs.append(f"respiratory rate {r.rr:g}/min (below {t.rr_low_below.value:g})")
    if r.spo2 is not None and r.spo2 < t.spo2_warn_below.value:
        on = " on oxygen" if r.on_oxygen else ""
        signs.append(f"SpO2 {r.spo2:g} %{on} (below {t.spo2_warn_below.value:g} %)")
    elif r.on_oxygen:
        signs.append("needs supplemental oxygen")
    if moaas is not None and is_sedated(moaas):
        signs.append(f"MOAA/S {moaas} (not fully alert)")
    return signs


def _breathing(b: _Builder, r: VitalSigns, moaas: int | None) -> None:
    """Two or more signs together: respiratory depression, CRITICAL (see module doc)."""
    signs = _breathing_signs(b, r, moaas)
    if len(signs) < 2:
        return
    t = b.t
    vital: str | None = None
    value: float | None = None
    threshold: str | None = None
    if r.rr is not None and r.rr < t.rr_low_below.value:
        vital, value, threshold = "rr", r.rr, "rr_low_below"
    elif r.spo2 is not None and r.spo2 < t.spo2_warn_below.value:
        vital, value, threshold = "spo2", r.spo2, "spo2_warn_below"
    if b.phase is Phase.PRE_DOSE:
        actions: tuple[Action, ...] = (Action.DO_NOT_START, Action.CALL_PRESCRIBER)
        todo = "Do not start; call the prescriber."
    elif b.phase is Phase.DURING_DOSE:
        actions = (Action.STOP_INFUSION, Action.AIRWAY_OXYGEN, Action.CALL_PRESCRIBER)
        todo = "Stop the infusion, airway/oxygen, call the prescriber."
    else:
        actions = (Action.AIRWAY_OXYGEN, Action.CALL_PRESCRIBER, Action.RECHECK)
        todo = "Airway/oxygen, call the prescriber, recheck."
    b.add(
        "respiratory.depression",
        AlertLevel.CRITICAL,
        actions,
        f"Possible respiratory depression: {'; '.join(signs)}. {todo}",
        vital=vital,
        value=value,
        threshold=threshold,
        needs_signoff=True,
        extra_sources=merge(
            [
                t.spo2_warn_below.sources,
                t.moaas_deep_sedation_at_or_below.sources,
                cite("S1", "S3", "S4", "S49", "S35", "A15", "S41"),
            ]
        ),
    )


def moaas_for_reading(
    taken_at: datetime,
    scores: Iterable[tuple[datetime, int]],
    thresholds: MonitoringThresholds = DEFAULT_THRESHOLDS,
) -> int | None:
    """The MOAA/S scored closest in time to a reading, within `moaas_pairing_minutes`.

    MOAA/S is recorded as a scale, vitals as a row (or a monitor message): this pairs them
    so the combined breathing-and-sedation rule sees both, whichever path the reading took.
    On a tie the later score wins (the more recent state of the patient).
    """
    window = thresholds.moaas_pairing_minutes.value * 60
    best: tuple[float, datetime, int] | None = None
    for at, value in scores:
        gap = abs((at - taken_at).total_seconds())
        if gap > window:
            continue
        if best is None or (gap, -at.timestamp()) < (best[0], -best[1].timestamp()):
            best = (gap, at, value)
    return best[2] if best is not None else None


def _dissociation(b: _Builder, r: VitalSigns, baseline: VitalSigns | None) -> None:
    value, limit = r.cadss, b.t.cadss_research_convention_above
    if value is None or value <= limit.value:
        return
    base = baseline.cadss if baseline and baseline.cadss is not None else None
    since = f" (pre-dose {base})" if base is not None else ""
    b.add(
        "cadss.above_research_convention",
        AlertLevel.INFO,
        (Action.RECORD_CLINICIAN_JUDGEMENT, Action.CONTINUE_MONITORING),
        f"CADSS {value}{since}. Above {limit.value} is a research convention for "
        "significant dissociation, not a validated trigger: record your judgement.",
        vital="cadss",
        value=value,
        threshold="cadss_research_convention_above",
    )


def _symptoms(b: _Builder, symptoms: frozenset[WarningSymptom]) -> None:
    if not symptoms:
        return
    names = ", ".join(sorted(s.value.replace("_", " ") for s in symptoms))
    first = (Action.DO_NOT_START,) if b.phase is Phase.PRE_DOSE else ()
    b.add(
        "symptoms.hypertensive_emergency",
        AlertLevel.CRITICAL,
        (*first, Action.EMERGENCY_CARE, *b.urgent(Action.CALL_PRESCRIBER)),
        f"Warning symptoms ({names}): possible hypertensive crisis or encephalopathy; "
        "get emergency care now.",
        extra_sources=cite("S1"),
    )


def assess_reading(
    reading: VitalSigns,
    *,
    phase: Phase,
    baseline: VitalSigns | None = None,
    symptoms: Iterable[WarningSymptom] = (),
    thresholds: MonitoringThresholds = DEFAULT_THRESHOLDS,
    moaas_nearby: int | None = None,
) -> tuple[Alert, ...]:
    """Alerts for one set of observations, most urgent first.

    `baseline` is the pre-dose reading (for rises in blood pressure and falls in MOAA/S);
    in the pre-dose phase the reading is itself the baseline. A pre-dose reading must
    include blood pressure, since the decision to start rests on it (S1, S4).
    `moaas_nearby` is a MOAA/S scored apart from the reading but close to it in time
    (`moaas_for_reading`): it counts for the combined breathing-and-sedation rule only,
    since the scale reports sedation alone itself. A `reading.moaas` takes precedence.
    """
    b = _Builder(phase, thresholds)
    _symptoms(b, frozenset(symptoms))
    if phase is Phase.PRE_DOSE:
        reading.require("sbp", "dbp", purpose="the pre-dose blood-pressure check")
        _predose_bp(b, reading)
    else:
        _session_bp(b, reading, baseline)
    _spo2(b, reading)
    _out_of_range(b, "rr", "Respiratory rate", "/min", reading.rr, "rr_low_below", "rr_high_above")
    _out_of_range(b, "hr", "Heart rate", "/min", reading.hr, "hr_low_below", "hr_high_above")
    _oxygen(b, reading)
    _sedation(b, reading, baseline)
    _breathing(b, reading, reading.moaas if reading.moaas is not None else moaas_nearby)
    _dissociation(b, reading, baseline)
    return tuple(sorted(b.alerts, key=lambda a: (-a.level, a.code)))


def bp_excursion_levels(
    thresholds: MonitoringThresholds = DEFAULT_THRESHOLDS,
) -> tuple[tuple[str, float], ...]:
    """(vital, level) pairs: a reading at or above either level is a marked in-session
    elevation (label Table 6 categories, S1), the `session.*.high` alerts' levels.

    Plain pairs so a query can filter on them (the outcome summary counts sessions with
    an excursion in SQL) without restating the thresholds or the comparison.
    """
    return (
        ("sbp", thresholds.session_sbp_at_or_above.value),
        ("dbp", thresholds.session_dbp_at_or_above.value),
    )


def is_bp_excursion(
    signs: VitalSigns, thresholds: MonitoringThresholds = DEFAULT_THRESHOLDS
) -> bool:
    """True when the reading is at or above an in-session level (`bp_excursion_levels`)."""
    for vital, level in bp_excursion_levels(thresholds):
        value = getattr(signs, vital)
        if value is not None and value >= level:
            return True
    return False


#: What the in-session rule rests on: the decision to start rests on the pre-dose blood
#: pressure (SPRAVATO label, S1; Swiss ketamine label, S4), and rises are measured from it (S1).
IN_SESSION_SOURCES = ("S1", "S4")


def assess_in_session(
    signs: VitalSigns,
    phase: Phase,
    baseline: VitalSigns | None,
    thresholds: MonitoringThresholds = DEFAULT_THRESHOLDS,
    *,
    moaas_nearby: int | None = None,
) -> tuple[Alert, ...]:
    """Alerts for a reading recorded in a session, whichever path brought it (typed, API,
    bedside monitor, synthetic history): the one home of what `assess_reading` is asked.

    - Before the dose, a reading without blood pressure raises nothing: the pre-dose check
      is a blood-pressure decision (`IN_SESSION_SOURCES`), and a monitor's SpO2 or heart
      rate alone before the dose is not that check (`assess_reading` would refuse it).
    - Before the dose there is no baseline: the reading is itself the baseline, so the
      session's pre-dose reading passed in `baseline` is not used.
    - After the first dose, rises in blood pressure and falls in MOAA/S are measured from
      `baseline` (the last reading before the first dose), when there is one.

    `thresholds` are the session protocol's; `moaas_nearby` as in `assess_reading`.
    """
    if phase is Phase.PRE_DOSE:
        if not signs.has_bp:
            return ()
        baseline = None
    return assess_reading(
        signs, phase=phase, baseline=baseline, thresholds=thresholds, moaas_nearby=moaas_nearby
    )


__all__ = [
    "IN_SESSION_SOURCES",
    "Action",
    "Alert",
    "AlertLevel",
    "Phase",
    "WarningSymptom",
    "assess_in_session",
    "assess_reading",
    "bp_excursion_levels",
    "highest_level",
    "is_bp_excursion",
    "may_start",
    "moaas_for_reading",
]
