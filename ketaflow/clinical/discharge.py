"""Discharge readiness after a dosing session, and the instructions the patient leaves with.

Readiness lists EVERY blocking reason, not just the first, so the nurse sees the whole
picture. Reasons are of three kinds, and `BlockingReason.overridable` says which:

- the esketamine 120-minute floor (SPRAVATO label and REMS: monitor at least 2 hours,
  S1/S3) is never overridable, and no `DischargePolicy` can lower it;
- reasons fixed by doing something rather than by judgement (a reading, score or
  instruction not yet recorded; dissociation not yet judged resolved) are not
  overridable: the fix is to record it;
- on EVERY route (IV, SC, IM, oral, esketamine), breathing and sedation are hard: an SpO2
  below the monitoring threshold, a respiratory rate below it (respiratory depression), a
  patient still on supplemental oxygen, and sedation not resolved (MOAA/S below 5) can never
  be overridden. The SPRAVATO REMS requires monitoring until sedation and respiratory
  depression resolve (S1/S3); racemic ketamine by any route has the same respiratory and
  sedative effects, made worse by CNS depressants (S4, S49), and outside anaesthesia is held
  to anaesthesia's standards (S35), whose discharge scores ask for SpO2 > 92 % on room air
  (a patient who needs oxygen to keep it up scores 1, S41). Applying the label's rule to
  every route is a clinic default (the SpO2/RR numbers are themselves unverified for
  ketamine, clinical.md 4.3, flagged on `MonitoringThresholds`);
- everything else (a clinic's longer observation minimum, blood pressure not yet settled,
  heart rate, a recovery score below 9, no escort) is a soft reason a prescriber may
  override with a recorded reason (Yip 2022 argues against treating transient,
  asymptomatic ketamine hypertension aggressively, S27).

Rules (each reason carries its sources):
- observation counts from when the dose was complete: end of infusion (IV), last device
  (esketamine), injection or ingestion (SC/IM/oral);
- blood pressure is settled when below the in-session act-now level and either within the
  pre-dose caution band (<= 140/90, S1) or within +/-20 mmHg of the pre-dose reading (modified
  Aldrete circulation score 2, S41); a fall of more than 20 mmHg systolic blocks too;
- SpO2, respiratory and heart rate use the monitoring thresholds (`MonitoringThresholds`);
  the SpO2 must be read on room air;
- sedation resolved: MOAA/S 5 (any fall from pre-dose is sedation, S1); a clinic cannot
  lower this (`DischargePolicy.min_moaas` is fixed at 5);
- dissociation resolved: the clinician's judgement, or CADSS back to the pre-dose value
  (a local convention; CADSS > 4 is only a research convention, A16/A17);
- modified Aldrete or PADSS >= 9 (S41); a responsible adult escort (UK ketamine SmPC, S4;
  PADSS, S41); the patient told not to drive until the next day (S1, S2).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Final

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, cite, default, merge
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS, MonitoringThresholds
from ketaflow.clinical.monitoring.vitals import MOAAS_FULLY_ALERT, VitalSigns
from ketaflow.clinical.routes import Route

_UNV = Evidence.UNVERIFIED

#: SPRAVATO label and REMS: at least 2 hours of monitoring after esketamine (S1, S3).
ESKETAMINE_MIN_OBSERVATION_MIN: Final = 120

OVERRIDE_NOTE: Final = (
    "A prescriber may override a soft reason by recording why. The esketamine 120-minute "
    "observation floor, a low SpO2, slow breathing, supplemental oxygen still needed and "
    "unresolved sedation can never be overridden, on any route."
)

# The discharge minimum is MOAAS_FULLY_ALERT and may not be set lower (unresolved sedation is
# a hard block on every route).


@dataclass(frozen=True)
class DischargePolicy:
    """Clinic-configurable discharge values, with the evidence behind each default."""

    observation_min_iv: ClinicDefault[int] = default(
        60,
        "S52",
        "S1",
        evidence=_UNV,
        note="No label sets IV observation for psychiatric use; counted from infusion end. "
        "Many clinics mirror SPRAVATO's 2 h; vitals were back to baseline by ~1.5 h (S52).",
    )
    observation_min_esketamine: ClinicDefault[int] = default(
        ESKETAMINE_MIN_OBSERVATION_MIN,
        "S1",
        "S3",
        note="Label/REMS floor of 2 h: may be raised, never lowered.",
    )
    observation_min_sc: ClinicDefault[int] = default(
        120, "S1", evidence=_UNV, note="No source for SC; mirrors the SPRAVATO 2 h."
    )
    observation_min_im: ClinicDefault[int] = default(
        120, "S1", evidence=_UNV, note="No source for IM; mirrors the SPRAVATO 2 h."
    )
    observation_min_oral: ClinicDefault[int] = default(
        120, "S1", evidence=_UNV, note="No source for oral; mirrors the SPRAVATO 2 h."
    )
    min_moaas: ClinicDefault[int] = default(
        MOAAS_FULLY_ALERT,
        "S1",
        "S3",
        note="MOAA/S 5 = responds readily to name; any fall from pre-dose is sedation. "
        "Fixed: the REMS monitors until sedation resolves.",
    )
    min_recovery_score: ClinicDefault[int] = default(
        9, "S41", note="Modified Aldrete or PADSS >= 9; PADSS adapted for ketamine is local."
    )
    bp_near_baseline_mmhg: ClinicDefault[float] = default(
        20.0,
        "S41",
        note="Modified Aldrete circulation 2 = within 20 of baseline (mmHg in some tables, % in "
        "others; mmHg chosen).",
    )
    require_escort: ClinicDefault[bool] = default(
        True, "S4", "S41", note="UK ketamine SmPC: outpatients leave with a responsible adult."
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name).value
            if f.name == "require_escort":
                if not isinstance(value, bool):
                    raise ClinicalInputError("must be true or false", field=f.name)
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ClinicalInputError(f"must be a number >= 0, got {value!r}", field=f.name)
        if self.observation_min_esketamine.value < ESKETAMINE_MIN_OBSERVATION_MIN:
            raise ClinicalInputError(
                f"esketamine observation cannot be below {ESKETAMINE_MIN_OBSERVATION_MIN} "
                "minutes (SPRAVATO label and REMS)",
                field="observation_min_esketamine",
            )
        if self.min_moaas.value != MOAAS_FULLY_ALERT:
            raise ClinicalInputError(
                f"the MOAA/S minimum for discharge is {MOAAS_FULLY_ALERT} (fully alert) and "
                "cannot be changed: unresolved sedation is a hard block (SPRAVATO REMS)",
                field="min_moaas",
            )
        if not 1 <= self.min_recovery_score.value <= 10:
            raise ClinicalInputError(
                "recovery score minimum must be 1-10", field="min_recovery_score"
            )

    def observation_minutes(self, route: Route) -> ClinicDefault[int]:
        return {
            Route.IV: self.observation_min_iv,
            Route.INTRANASAL: self.observation_min_esketamine,
            Route.SC: self.observation_min_sc,
            Route.IM: self.observation_min_im,
            Route.ORAL: self.observation_min_oral,
        }[route]


DEFAULT_POLICY = DischargePolicy()


def earliest_discharge_time(
    route: Route, dose_completed_at: datetime, policy: DischargePolicy = DEFAULT_POLICY
) -> datetime:
    """When the observation minimum ends (never before 120 min for esketamine)."""
    minutes = policy.observation_minutes(route).value
    if route.is_esketamine:
        minutes = max(minutes, ESKETAMINE_MIN_OBSERVATION_MIN)
    return dose_completed_at + timedelta(minutes=minutes)


@dataclass(frozen=True)
class Override:
    """A prescriber's recorded decision to discharge despite a soft reason."""

    code: str
    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ClinicalInputError(
                f"an override of {self.code} needs a recorded reason", field="overrides"
            )


@dataclass(frozen=True)
class BlockingReason:
    code: str
    message: str
    sources: tuple[Source, ...]
    overridable: bool
    why_not_overridable: str = ""
    # When the reason lapses by itself (the end of an observation minimum), in UTC like every
    # time here: the core never formats a clock time, a page shows it in the clinic's zone.
    until: datetime | None = None
    # The number behind it is a clinic default the evidence does not settle: the screen says so.
    needs_local_signoff: bool = False


@dataclass(frozen=True)
class OverriddenReason:
    reason: BlockingReason
    override: Override


@dataclass(frozen=True)
class DischargeInputs:
    """What the nurse and prescriber have recorded at the point of asking."""

    route: Route
    dose_completed_at: datetime
    now: datetime
    baseline: VitalSigns | None  # the pre-dose reading
    latest: VitalSigns | None  # the most recent reading
    aldrete_score: int | None = None  # modified Aldrete, 0-10
    padss_score: int | None = None  # PADSS, 0-10
    dissociation_resolved: bool | None = None  # clinician judgement; None = not recorded
    escort_present: bool = False
    told_not_to_drive: bool = False
    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        for name in ("aldrete_score", "padss_score"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10
            ):
                raise ClinicalInputError(
                    f"score must be a whole number 0-10, got {value!r}", field=name
                )
        if (self.now.utcoffset() is None) != (self.dose_completed_at.utcoffset() is None):
            raise ClinicalInputError(
                "mix of time-zone-aware and naive times; pass both in UTC", field="now"
            )
        if self.now < self.dose_completed_at:
            raise ClinicalInputError(
                "discharge assessed before the dose was complete", field="dose_completed_at"
            )


@dataclass(frozen=True)
class DischargeReadiness:
    ready: bool
    blocking: tuple[BlockingReason, ...]  # still in force
    overridden: tuple[OverriddenReason, ...]
    earliest_time: datetime  # when the observation minimum ends
    override_note: str = OVERRIDE_NOTE

    @property
    def sources(self) -> tuple[Source, ...]:
        return merge(
            [r.sources for r in self.blocking] + [o.reason.sources for o in self.overridden]
        )


_RECORD_IT = "Record it: a missing observation is fixed by taking it, not by judgement."
_BREATHING = (
    "Breathing and alertness must recover before anyone leaves, on every route: monitor "
    "until sedation and respiratory depression resolve (SPRAVATO REMS, S1, S3)."
)

#: Each blocking reason in a few words, for records that name an override after the fact
#: (the signing summary): the reason's full message depends on the values at the time.
LABELS: Final = {
    "observation.esketamine_floor": "observation shorter than the esketamine minimum",
    "observation.minimum": "observation shorter than the protocol's minimum",
    "vitals.not_recorded": "no vital signs recorded after the dose",
    "vitals.bp_not_settled": "blood pressure not yet settled",
    "vitals.bp_fallen": "blood pressure fallen below the patient's usual",
    "vitals.spo2_low": "oxygen saturation low",
    "vitals.on_oxygen": "still on supplemental oxygen",
    "vitals.rr_out_of_range": "breathing rate out of range",
    "vitals.hr_out_of_range": "heart rate out of range",
    "sedation.not_recorded": "no sedation score after the dose",
    "sedation.unresolved": "sedation not resolved",
    "dissociation.not_assessed": "dissociation not assessed",
    "dissociation.unresolved": "dissociation not resolved",
    "recovery_score.not_recorded": "no recovery score recorded",
    "recovery_score.low": "recovery score below the discharge level",
    "escort.absent": "no escort present",
    "instructions.driving_not_given": "no-driving instructions not given",
}

#: Codes of every blocking reason, for forms that offer overrides.
CODES: Final = frozenset(
    {
        "observation.esketamine_floor",
        "observation.minimum",
        "vitals.not_recorded",
        "vitals.bp_not_settled",
        "vitals.bp_fallen",
        "vitals.spo2_low",
        "vitals.on_oxygen",
        "vitals.rr_out_of_range",
        "vitals.hr_out_of_range",
        "sedation.not_recorded",
        "sedation.unresolved",
        "dissociation.not_assessed",
        "dissociation.unresolved",
        "recovery_score.not_recorded",
        "recovery_score.low",
        "escort.absent",
        "instructions.driving_not_given",
    }
)


class _Reasons:
    def __init__(self) -> None:
        self.items: list[BlockingReason] = []

    def soft(
        self, code: str, message: str, sources: tuple[Source, ...], until: datetime | None = None
    ) -> None:
        self.items.append(BlockingReason(code, message, sources, True, until=until))

    def hard(
        self,
        code: str,
        message: str,
        sources: tuple[Source, ...],
        why: str,
        until: datetime | None = None,
        signoff: bool = False,
    ) -> None:
        self.items.append(BlockingReason(code, message, sources, False, why, until, signoff))


def _observation(r: _Reasons, i: DischargeInputs, p: DischargePolicy) -> None:
    def until(t: datetime) -> str:
        left = (t - i.now).total_seconds() / 60
        return f"{left:.0f} min to go"

    floor_end = i.dose_completed_at
    if i.route.is_esketamine:
        floor_end += timedelta(minutes=ESKETAMINE_MIN_OBSERVATION_MIN)
        if i.now < floor_end:
            r.hard(
                "observation.esketamine_floor",
                f"Esketamine needs at least {ESKETAMINE_MIN_OBSERVATION_MIN} min of "
                f"observation after the dose: {until(floor_end)}.",
                cite("S1", "S3"),
                "The label's 2-hour minimum: no protocol or prescriber may shorten it.",
                until=floor_end,
            )
    minimum = p.observation_minutes(i.route)
    end = earliest_discharge_time(i.route, i.dose_completed_at, p)
    if i.now < end and end > floor_end:
        r.soft(
            "observation.minimum",
            f"The clinic's observation minimum for {i.route.label} is {minimum.value} min: "
            f"{until(end)}.",
            minimum.sources,
            until=end,
        )


def _vitals(r: _Reasons, i: DischargeInputs, p: DischargePolicy, t: MonitoringThresholds) -> None:
    v, base = i.latest, i.baseline
    if v is None or v.sbp is None or v.dbp is None or v.spo2 is None:
        r.hard(
            "vitals.not_recorded",
            "Take pre-discharge vitals: blood pressure and SpO2 are needed.",
            cite("S1", "S2", "S3"),
            _RECORD_IT,
        )
        return
    near = p.bp_near_baseline_mmhg.value
    marked = v.sbp >= t.session_sbp_at_or_above.value or v.dbp >= t.session_dbp_at_or_above.value
    in_band = v.sbp <= t.predose_caution_sbp_above.value and (
        v.dbp <= t.predose_caution_dbp_above.value
    )
    near_base = (
        base is not None
        and base.sbp is not None
        and base.dbp is not None
        and abs(v.sbp - base.sbp) <= near
        and abs(v.dbp - base.dbp) <= near
    )
    if marked or not (in_band or near_base):
        pre = f" (pre-dose {base.sbp:g}/{base.dbp:g})" if base and base.has_bp else ""
        r.soft(
            "vitals.bp_not_settled",
            f"Blood pressure {v.sbp:g}/{v.dbp:g}{pre} is not yet settled: it should be at or "
            f"below {t.predose_caution_sbp_above.value:g}/{t.predose_caution_dbp_above.value:g} "
            f"or within {near:g} mmHg of the pre-dose reading.",
            merge([cite("S1"), p.bp_near_baseline_mmhg.sources]),
        )
    if base is not None and base.sbp is not None and base.sbp - v.sbp > near:
        r.soft(
            "vitals.bp_fallen",
            f"Systolic {v.sbp:g} has fallen {base.sbp - v.sbp:g} mmHg from the pre-dose "
            f"{base.sbp:g} (more than {near:g}).",
            merge([p.bp_near_baseline_mmhg.sources, cite("S4")]),
        )
    _breathing(r, v, t)
    if v.hr is not None and not t.hr_low_below.value <= v.hr <= t.hr_high_above.value:
        r.soft(
            "vitals.hr_out_of_range",
            f"Heart rate {v.hr:g}/min is outside {t.hr_low_below.value:g}-"
            f"{t.hr_high_above.value:g}/min.",
            merge([t.hr_low_below.sources, t.hr_high_above.sources]),
        )


def _breathing(r: _Reasons, v: VitalSigns, t: MonitoringThresholds) -> None:
    """Oxygen, SpO2 and a slow respiratory rate: hard on every route (see module doc)."""
    route_wide = cite("S1", "S3", "S4", "S49", "S35")
    if v.on_oxygen:
        flow = f" at {v.oxygen_l_per_min:g} L/min" if v.oxygen_l_per_min is not None else ""
        r.hard(
            "vitals.on_oxygen",
            f"Still on supplemental oxygen{flow}: an SpO2 read on oxygen is not reassuring. "
            "Take the patient off oxygen and record vitals on room air.",
            merge([cite("S41"), route_wide]),
            _BREATHING,
            signoff=True,  # room air before leaving, on every route: a clinic rule (S41)
        )
    assert v.spo2 is not None
    if v.spo2 < t.spo2_warn_below.value:
        r.hard(
            "vitals.spo2_low",
            f"SpO2 {v.spo2:g} % is below {t.spo2_warn_below.value:g} %"
            f"{' (on oxygen)' if v.on_oxygen else ''}.",
            merge([t.spo2_warn_below.sources, route_wide]),
            _BREATHING,
            signoff=t.spo2_warn_below.needs_local_signoff,
        )
    if v.rr is None:
        return
    if v.rr < t.rr_low_below.value:
        r.hard(
            "vitals.rr_out_of_range",
            f"Respiratory rate {v.rr:g}/min is below {t.rr_low_below.value:g}/min: "
            "respiratory depression has not resolved.",
            merge([t.rr_low_below.sources, route_wide]),
            _BREATHING,
            signoff=t.rr_low_below.needs_local_signoff,
        )
    elif v.rr > t.rr_high_above.value:
        r.soft(
            "vitals.rr_out_of_range",
            f"Respiratory rate {v.rr:g}/min is above {t.rr_high_above.value:g}/min.",
            merge([t.rr_low_below.sources, t.rr_high_above.sources]),
        )


def _sedation(r: _Reasons, i: DischargeInputs, p: DischargePolicy) -> None:
    moaas = i.latest.moaas if i.latest else None
    if moaas is None:
        r.hard("sedation.not_recorded", "Record a MOAA/S score.", cite("S1"), _RECORD_IT)
        return
    if moaas >= p.min_moaas.value:
        return
    pre = i.baseline.moaas if i.baseline and i.baseline.moaas is not None else None
    before = (
        f" It was {pre} before dosing: the prescriber assesses the patient in person."
        if pre is not None and pre < p.min_moaas.value
        else ""
    )
    r.hard(
        "sedation.unresolved",
        f"MOAA/S {moaas}: sedation has not resolved (needs {p.min_moaas.value}).{before}",
        merge([p.min_moaas.sources, cite("S4", "S49", "S35")]),
        _BREATHING,
    )


def _dissociation(r: _Reasons, i: DischargeInputs) -> None:
    src = cite("S1", "S3", "A16", "A17")
    why = "Resolution is the clinician's judgement: record it rather than override."
    if i.dissociation_resolved is True:
        return
    if i.dissociation_resolved is False:
        r.hard(
            "dissociation.unresolved",
            "The clinician judges that dissociation has not resolved.",
            src,
            why,
        )
        return
    now = i.latest.cadss if i.latest else None
    pre = i.baseline.cadss if i.baseline else None
    if now == 0 or (now is not None and pre is not None and now <= pre):
        return
    if now is None or pre is None:
        r.hard(
            "dissociation.not_assessed",
            "Record the clinician's judgement that dissociation has resolved, or a CADSS "
            "to compare with the pre-dose CADSS.",
            src,
            _RECORD_IT,
        )
        return
    r.hard(
        "dissociation.unresolved",
        f"CADSS {now} is above the pre-dose {pre}: recheck, or record the clinician's "
        "judgement that dissociation has resolved.",
        src,
        why,
    )


def _recovery(r: _Reasons, i: DischargeInputs, p: DischargePolicy) -> None:
    scores = [s for s in (i.aldrete_score, i.padss_score) if s is not None]
    need = p.min_recovery_score
    if not scores:
        r.hard(
            "recovery_score.not_recorded",
            "Record a modified Aldrete or PADSS score.",
            need.sources,
            _RECORD_IT,
        )
    elif max(scores) < need.value:
        r.soft(
            "recovery_score.low",
            f"Recovery score {max(scores)} is below {need.value} (modified Aldrete or PADSS).",
            need.sources,
        )


def assess_discharge(
    inputs: DischargeInputs,
    policy: DischargePolicy = DEFAULT_POLICY,
    thresholds: MonitoringThresholds = DEFAULT_THRESHOLDS,
) -> DischargeReadiness:
    """Whether the patient may leave, with every reason they may not yet (see module doc).

    Overrides naming a reason that is not overridable raise `ClinicalInputError`;
    overrides for a soft reason not currently in force are ignored (already resolved).
    """
    i = inputs
    r = _Reasons()
    _observation(r, i, policy)
    _vitals(r, i, policy, thresholds)
    _sedation(r, i, policy)
    _dissociation(r, i)
    _recovery(r, i, policy)
    if policy.require_escort.value and not i.escort_present:
        r.soft(
            "escort.absent",
            "No responsible adult to accompany the patient home.",
            merge([policy.require_escort.sources, cite("S1")]),
        )
    if not i.told_not_to_drive:
        r.hard(
            "instructions.driving_not_given",
            "Tell the patient not to drive or use machinery until the next day after sleep.",
            cite("S1", "S2"),
            "Giving the instruction is the fix.",
        )

    by_code: dict[str, Override] = {}
    for o in i.overrides:
        if o.code not in CODES:
            raise ClinicalInputError(
                f"no blocking reason has the code {o.code!r}", field="overrides"
            )
        if o.code == "observation.esketamine_floor":
            raise ClinicalInputError(
                "the esketamine 120-minute observation floor can never be overridden",
                field="overrides",
            )
        by_code[o.code] = o
    blocking: list[BlockingReason] = []
    overridden: list[OverriddenReason] = []
    for reason in r.items:
        override = by_code.get(reason.code)
        if override is None:
            blocking.append(reason)
        elif not reason.overridable:
            raise ClinicalInputError(
                f"This reason cannot be overridden: {reason.message} {reason.why_not_overridable}",
                field="overrides",
            )
        else:
            overridden.append(OverriddenReason(reason, override))
    return DischargeReadiness(
        ready=not blocking,
        blocking=tuple(blocking),
        overridden=tuple(overridden),
        earliest_time=earliest_discharge_time(i.route, i.dose_completed_at, policy),
    )


@dataclass(frozen=True)
class Instruction:
    """One plain-language instruction for the patient, in our own words."""

    code: str
    text: str
    sources: tuple[Source, ...]


def discharge_instructions(route: Route) -> tuple[Instruction, ...]:
    """What the patient is told on leaving, for this route."""
    items = [
        Instruction(
            "no_driving",
            "Do not drive, cycle, use machinery or do anything that needs you to be fully "
            "alert until tomorrow, after a night's sleep.",
            cite("S1", "S2"),
        ),
        Instruction(
            "go_home_accompanied",
            "Go home with a responsible adult. Do not travel home on your own.",
            cite("S4", "S1"),
        ),
        Instruction(
            "no_alcohol_or_sedatives",
            "For the rest of today, do not drink alcohol or take sleeping tablets, opioids or "
            "other sedating medicines unless your prescriber has told you to: together with "
            "ketamine they can slow your breathing and make you very drowsy.",
            cite("S1", "S4", "S49"),
        ),
        Instruction(
            "emergency_symptoms",
            "Call emergency services straight away if you have chest pain, shortness of "
            "breath, a sudden severe headache, changes in your vision, a fit, confusion or "
            "drowsiness that is getting worse, or weakness or numbness on one side.",
            cite("S1"),
        ),
        Instruction(
            "unusual_feelings",
            "Feeling dreamy, detached or unsteady can last for some hours. If it has not "
            "settled by the next day, or you see or hear things that are not there, call "
            "the clinic.",
            cite("S1", "S4"),
        ),
        Instruction(
            "bladder_symptoms",
            "Tell the clinic if you notice pain when passing urine, needing to go much more "
            "often or urgently, or blood in your urine.",
            cite("S4", "S33"),
        ),
    ]
    if route in (Route.IV, Route.SC, Route.IM):
        items.append(
            Instruction(
                "injection_site",
                "If the place where the needle went in becomes painful, red or swollen, call "
                "the clinic.",
                cite("S4"),
            )
        )
    return tuple(items)


__all__ = [
    "CODES",
    "DEFAULT_POLICY",
    "ESKETAMINE_MIN_OBSERVATION_MIN",
    "MOAAS_FULLY_ALERT",
    "OVERRIDE_NOTE",
    "BlockingReason",
    "DischargeInputs",
    "DischargePolicy",
    "DischargeReadiness",
    "Instruction",
    "OverriddenReason",
    "Override",
    "assess_discharge",
    "discharge_instructions",
    "earliest_discharge_time",
]
