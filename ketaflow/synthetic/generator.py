"""Deterministic synthetic treatment histories: patients, courses, sessions and scale scores.

Pure Python (no Django, no I/O, no clock: `today` is in the config). The same seed always
gives the same histories, patient by patient (each patient has its own random stream, so
patient 7 is the same whether 10 or 100,000 are generated).

What is realistic, and where the numbers come from (clinical reference):
- archetypes: early responders, responders (some remit), relapses after response,
  non-responders and dropouts. About two thirds respond by the end of an induction series
  (T11: 70.8%, T12: 67.5%); early responders improve from the first session (S15);
  non-responders are stopped at the protocol's review point (< 20% improvement, S17);
- GAD-7/PHQ-9 baselines are moderate to severe (GAD-7 ≥ 10, PHQ-9 ≥ 10; S40 bands), a
  responder falls by ≥ 50% over the induction, remitters end ≤ 4, relapses climb back;
- sessions follow the built-in protocols' phases, spacing and doses (IV 0.5 mg/kg over
  40 min, SC ascending 0.25 → 1 mg/kg, esketamine 56 mg as 28-mg devices); administration
  events are a valid record per `clinical.administration` (start/stop, sometimes a pause and
  resume; boluses for SC and intranasal), vitals show the usual peak at ~40 min (T15:
  +7 mmHg) and, in some sessions, a marked BP excursion whose alerts (computed by the core
  monitoring rules) are acknowledged before signing; side effects at rates of the order the
  reference gives (S55, S8).
Names are obviously made up ("Synthetic", MRN "SYN-…") and every patient is flagged synthetic
by the writer.
"""

from __future__ import annotations

import math
import random
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

from ketaflow.clinical.instruments import get_item_instrument
from ketaflow.clinical.monitoring.alerts import AlertLevel, Phase, assess_in_session
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS
from ketaflow.clinical.monitoring.vitals import VitalSigns
from ketaflow.clinical.protocols import PhaseKind, Protocol, builtin_protocols

UTC = zoneinfo.ZoneInfo("UTC")

ARCHETYPES: tuple[tuple[str, float], ...] = (
    ("early_responder", 0.15),
    ("responder", 0.38),
    ("relapse", 0.12),
    ("non_responder", 0.23),
    ("dropout", 0.12),
)
RESPONDING = frozenset({"early_responder", "responder", "relapse"})
PROTOCOL_MIX: tuple[tuple[str, float], ...] = (
    ("iv-racemic", 0.65),
    ("sc-racemic-anxiety", 0.2),
    ("esketamine-label", 0.15),
)
DIAGNOSES: tuple[tuple[str, float], ...] = (
    ("F41.1", 0.5),  # GAD
    ("F40.10", 0.2),  # social anxiety
    ("F41.0", 0.15),  # panic
    ("F43.10", 0.1),  # PTSD
    ("F42.2", 0.05),  # OCD
)
GIVEN = (
    "Ada", "Bram", "Cleo", "Dov", "Esme", "Finn", "Gail", "Hugo", "Iris", "Jory", "Kit", "Lior",
    "Mina", "Nico", "Orla", "Pip", "Quin", "Rue", "Sol", "Tamsin", "Ugo", "Vida", "Wren", "Yara",
)  # fmt: skip
SLOTS_LOCAL = (time(8, 30), time(11, 30), time(14, 30))  # three sessions per chair a day
CHAIR_MINUTES = 180
CONCENTRATION_MG_PER_ML = 1.0
DEVICE_MG = 28.0


@dataclass(frozen=True)
class SynthConfig:
    seed: int
    patients: int
    today: date
    sessions_per_patient: int = 10
    responses_per_patient: int = 30
    months_back: int = 18
    timezone: str = "Europe/London"
    mrn_prefix: str = "SYN"
    first_index: int = 1  # patient numbering (MRNs) starts here
    latest_start_days_ago: int = 21  # courses start no later than this (older: all finished)


@dataclass(slots=True)
class SynthOrder:
    route: str
    mg_per_kg: float | None
    dose_mg: float
    concentration_mg_per_ml: float | None
    minutes: float | None
    rate_ml_per_h: float | None
    mg_per_min: float | None


@dataclass(slots=True)
class SynthEvent:
    kind: str
    at: datetime
    rate_ml_per_h: float | None = None
    bolus_mg: float | None = None
    note: str = ""


@dataclass(slots=True)
class SynthVitals:
    taken_at: datetime
    sbp: float
    dbp: float
    hr: float
    spo2: float
    rr: float
    ack_codes: tuple[str, ...] = ()


@dataclass(slots=True)
class SynthSideEffect:
    kind: str
    severity: str
    onset_at: datetime
    resolved_at: datetime | None


@dataclass(slots=True)
class SynthSession:
    number: int
    phase_code: str
    chair_index: int
    arrives_at: datetime
    ends_at: datetime
    order: SynthOrder
    events: list[SynthEvent]
    vitals: list[SynthVitals]
    side_effects: list[SynthSideEffect]
    discharged_at: datetime
    signed_at: datetime

    @property
    def day(self) -> date:
        return self.arrives_at.date()


@dataclass(slots=True)
class SynthResponse:
    instrument: str
    answers: tuple[int, ...]
    administered_at: datetime
    context: str
    session_number: int | None = None  # a pre-session response belongs to this session


@dataclass(slots=True)
class SynthPhaseChange:
    from_phase: str
    to_phase: str
    at: datetime
    reason: str


@dataclass(slots=True)
class SynthCourse:
    protocol_code: str
    started_on: date
    phase: str  # evaluation / induction / maintenance / ended
    ended_reason: str
    ended_note: str
    phase_log: list[SynthPhaseChange]
    sessions: list[SynthSession]


@dataclass(slots=True)
class SynthPatient:
    index: int
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex_at_birth: str
    can_become_pregnant: bool
    weight_kg: float
    height_cm: float
    diagnosis: str
    archetype: str
    remits: bool
    baseline_gad7: int
    course: SynthCourse
    responses: list[SynthResponse] = field(default_factory=list)
    created_at: datetime | None = None


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for value, p in table:
        x -= p
        if x < 0:
            return value
    return table[-1][0]


# ---------------------------------------------------------------------------- scores


@cache
def _answer_pool(instrument: str, total: int) -> tuple[tuple[int, ...], ...]:
    """Sixteen plausible item-answer vectors with this total (deterministic per total)."""
    items = 7 if instrument == "gad7" else 9
    rng = random.Random(f"pool:{instrument}:{total}")
    pool = []
    for n in range(16):
        answers = [0] * items
        # PHQ-9 item 9 (thoughts of self-harm) is only rarely non-zero, and only when severe.
        open_items = list(range(items if instrument == "gad7" or (n == 0 and total >= 15) else 8))
        left = total
        while left:
            i = rng.choice(open_items)
            if answers[i] < 3:
                answers[i] += 1
                left -= 1
            elif all(answers[j] == 3 for j in open_items):
                open_items = list(range(items))
        pool.append(tuple(answers))
    return tuple(pool)


def answers_for(instrument: str, total: int, rng: random.Random) -> tuple[int, ...]:
    pool = _answer_pool(instrument, total)
    return pool[rng.randrange(len(pool))]


@cache
def scored(instrument: str, answers: tuple[int, ...]) -> dict[str, object]:
    """The core's score of these answers as the questionnaire row's fields (cached)."""
    inst = get_item_instrument(instrument)
    s = inst.score(list(answers))
    return {
        "licence": inst.licence.value,
        "total": s.total,
        "severity": s.severity or "",
        "band_set": s.band_set or "",
        "flags": [f.to_dict() for f in s.flags],
        "subscales": dict(s.subscales),
        "sources": [src.key for src in s.sources],
    }


def _improvement(
    archetype: str, remits: bool, k: float, induction: int, rng: random.Random
) -> float:
    """Fraction of the baseline score gone after session k (k may be fractional: follow-up)."""
    noise = rng.gauss(0, 0.05)
    if archetype == "early_responder":
        frac = 0.4 + 0.35 * (1 - math.exp(-(k - 1) / 1.5)) if k >= 1 else 0.0
    elif archetype == "responder":
        frac = 0.68 * (1 - math.exp(-k / 2.2))
    elif archetype == "relapse":
        if k <= induction + 1:
            frac = 0.65 * (1 - math.exp(-k / 2.0))
        else:
            frac = max(0.05, 0.65 - 0.16 * (k - induction - 1))
    elif archetype == "non_responder":
        frac = 0.12 * (1 - math.exp(-k / 2.0))
    else:  # dropout: partial, then stops coming
        frac = 0.25 * (1 - math.exp(-k / 2.0))
    if remits and archetype in ("early_responder", "responder") and k >= induction:
        frac = max(frac, 0.8)
    return min(max(frac + noise, -0.15), 1.0)


# ---------------------------------------------------------------------------- sessions


def _session_days(protocol: Protocol, first: date, count: int) -> list[tuple[date, str, str, int]]:
    """(day, phase code, phase kind, k) for sessions 1..count per the protocol's spacing."""
    days: list[tuple[date, str, str, int]] = []
    anchor = first
    number = 0
    for phase in protocol.phases:
        n = phase.sessions.value if phase.sessions is not None else count
        for k in range(n):
            if number == count:
                return days
            day = anchor + timedelta(days=phase.offset(k))
            while day.weekday() >= 5:  # the clinic is closed at weekends
                day += timedelta(days=1)
            if days and (day - days[-1][0]).days < phase.min_days_between_sessions.value:
                day = days[-1][0] + timedelta(days=phase.min_days_between_sessions.value)
                while day.weekday() >= 5:
                    day += timedelta(days=1)
            days.append((day, phase.code, phase.kind.value, k))
            number += 1
        gap = max(1, phase.period_days.value // phase.sessions_per_period.value)
        anchor = days[-1][0] + timedelta(days=gap)
    return days


@lru_cache(maxsize=100_000)
def _signs_alerts(
    signs: tuple[float, float, float, float, float],
    phase: Phase,
    baseline: tuple[float, float, float, float, float] | None,
) -> tuple[str, ...]:
    """Codes of the sign-blocking alerts the core raises for this reading."""
    sbp, dbp, hr, spo2, rr = signs
    base = VitalSigns(*baseline) if baseline else None
    alerts = assess_in_session(VitalSigns(sbp, dbp, hr, spo2, rr), phase, base)
    return tuple(a.code for a in alerts if a.level >= AlertLevel.WARN)


def _vitals(
    rng: random.Random,
    arrive: datetime,
    dose_start: datetime,
    dose_end: datetime,
    discharge: datetime,
    excursion: bool,
) -> list[SynthVitals]:
    sbp0 = round(min(max(rng.gauss(122, 10), 100), 138))
    dbp0 = round(min(max(rng.gauss(77, 7), 60), 88))
    hr0 = round(min(max(rng.gauss(74, 8), 56), 96))
    spo2 = float(rng.choice((97, 98, 98, 99)))
    rr0 = float(rng.choice((12, 14, 14, 16)))
    rise = rng.uniform(28, 45) if excursion else max(0.0, rng.gauss(7.4, 4))
    peak_sbp = round(sbp0 + rise)
    peak_dbp = min(
        round(dbp0 + (rise * 0.7 if excursion else max(0.0, rng.gauss(6, 3)))), peak_sbp - 20
    )
    peak_at = dose_start + timedelta(
        minutes=min(40, max(5, (dose_end - dose_start).total_seconds() / 60))
    )
    end_sbp = round(sbp0 + rng.gauss(2, 3))
    end_dbp = round(min(dbp0 + rng.gauss(1, 2), end_sbp - 25))
    readings = [
        (arrive + timedelta(minutes=15), (sbp0, dbp0, hr0, spo2, rr0), Phase.PRE_DOSE),
        (peak_at, (peak_sbp, peak_dbp, hr0 + round(rng.gauss(2, 3)), spo2, rr0), Phase.DURING_DOSE),
        (discharge - timedelta(minutes=5), (end_sbp, end_dbp, hr0, spo2, rr0), Phase.POST_DOSE),
    ]
    base = _five(readings[0][1])
    out = []
    for at, signs, phase in readings:
        s = _five(signs)
        codes = _signs_alerts(s, phase, base) if _near_a_threshold(s, phase, base) else ()
        out.append(SynthVitals(at, s[0], s[1], s[2], s[3], s[4], ack_codes=codes))
    return out


_T = DEFAULT_THRESHOLDS
_MARGIN = 10.0  # mmHg / beats / breaths / % short of a threshold still asks the core


def _near_a_threshold(
    s: tuple[float, float, float, float, float],
    phase: Phase,
    base: tuple[float, float, float, float, float],
) -> bool:
    """False only when every value is clearly inside every alert threshold (a fast path:
    most readings are unremarkable). Anything close is assessed by the core's own rules."""
    sbp, dbp, hr, spo2, rr = s
    m = _MARGIN
    if phase is Phase.PRE_DOSE:
        bp = (
            sbp > _T.predose_caution_sbp_above.value - m
            or dbp > _T.predose_caution_dbp_above.value - m
        )
    else:
        bp = (
            sbp >= _T.session_sbp_at_or_above.value - m
            or dbp >= _T.session_dbp_at_or_above.value - m
            or sbp - base[0] >= _T.session_sbp_rise_at_or_above.value - m
            or dbp - base[1] >= _T.session_dbp_rise_at_or_above.value - m
        )
    return (
        bp
        or spo2 < _T.spo2_warn_below.value + m / 2
        or rr < _T.rr_low_below.value + m / 5
        or rr > _T.rr_high_above.value - m / 5
        or hr < _T.hr_low_below.value + m
        or hr > _T.hr_high_above.value - m
    )


def _five(signs: tuple[float, ...]) -> tuple[float, float, float, float, float]:
    sbp, dbp, hr, spo2, rr = (float(v) for v in signs)
    return sbp, dbp, hr, spo2, rr


def _session(
    rng: random.Random,
    protocol: Protocol,
    number: int,
    day: date,
    phase_code: str,
    k: int,
    weight_kg: float,
    chair_index: int,
    slot: time,
    zone: zoneinfo.ZoneInfo,
    older: bool,
) -> SynthSession:
    arrive = datetime.combine(day, slot, tzinfo=zone).astimezone(UTC)
    dose_start = arrive + timedelta(minutes=30)
    phase = next(p for p in protocol.phases if p.code == phase_code)
    dose = phase.dose(k, older_adult=older).value
    route = protocol.route.value
    events: list[SynthEvent] = []
    if protocol.dose_unit.value == "mg":  # esketamine: 28-mg devices, 5 minutes apart
        order = SynthOrder(route, None, dose, None, None, None, None)
        for d in range(round(dose / DEVICE_MG)):
            events.append(
                SynthEvent(
                    "bolus",
                    dose_start + timedelta(minutes=5 * d),
                    bolus_mg=DEVICE_MG,
                    note=f"Device {d + 1} of {round(dose / DEVICE_MG)} ({DEVICE_MG:g} mg)",
                )
            )
        dose_end = events[-1].at
    elif protocol.infusion_minutes is not None:  # IV infusion at 1 mg/mL
        minutes = float(protocol.infusion_minutes.value)
        dose_mg = round(dose * weight_kg, 1)
        mg_per_min = dose_mg / minutes
        rate = round(mg_per_min * 60 / CONCENTRATION_MG_PER_ML, 1)
        real_mg_per_min = rate * CONCENTRATION_MG_PER_ML / 60
        run = dose_mg / real_mg_per_min  # minutes at the pump's (rounded) rate
        order = SynthOrder(route, dose, dose_mg, CONCENTRATION_MG_PER_ML, minutes, rate, mg_per_min)
        events.append(SynthEvent("start", dose_start, rate_ml_per_h=rate))
        paused = 0.0
        if rng.random() < 0.07:
            at = rng.uniform(8, 25)
            paused = float(rng.randint(3, 8))
            events.append(
                SynthEvent("pause", dose_start + timedelta(minutes=at), note="Paused: nausea")
            )
            events.append(SynthEvent("resume", dose_start + timedelta(minutes=at + paused)))
        dose_end = dose_start + timedelta(minutes=run + paused)
        events.append(SynthEvent("stop", dose_end))
    else:  # SC injection
        dose_mg = round(dose * weight_kg, 1)
        order = SynthOrder(route, dose, dose_mg, None, None, None, None)
        events.append(SynthEvent("bolus", dose_start, bolus_mg=dose_mg))
        dose_end = dose_start
    observe = protocol.observation_minutes.value
    discharge = dose_end + timedelta(minutes=observe + rng.randint(0, 10))
    ends_at = max(arrive + timedelta(minutes=CHAIR_MINUTES - 15), discharge)
    excursion = rng.random() < 0.1
    vitals = _vitals(rng, arrive, dose_start, dose_end, discharge, excursion)
    effects: list[SynthSideEffect] = []
    for kind, p in (
        ("dissociation", 0.3),
        ("dizziness", 0.15),
        ("nausea", 0.1),
        ("headache", 0.05),
    ):
        if rng.random() < p:
            onset = dose_start + timedelta(minutes=rng.randint(5, 30))
            effects.append(
                SynthSideEffect(
                    kind,
                    "mild" if rng.random() < 0.85 else "moderate",
                    onset,
                    onset + timedelta(minutes=rng.randint(10, 50)),
                )
            )
    if excursion:
        effects.append(
            SynthSideEffect("raised_bp", "moderate", vitals[1].taken_at, vitals[2].taken_at)
        )
    return SynthSession(
        number=number,
        phase_code=phase_code,
        chair_index=chair_index,
        arrives_at=arrive,
        ends_at=ends_at,
        order=order,
        events=events,
        vitals=vitals,
        side_effects=effects,
        discharged_at=discharge,
        signed_at=discharge + timedelta(minutes=rng.randint(10, 90)),
    )


# ---------------------------------------------------------------------------- patients


class _Chairs:
    """Hands out (chair, slot) per clinic day so no chair is ever double-booked."""

    def __init__(self) -> None:
        self.used: dict[date, int] = {}

    def take(self, day: date) -> tuple[int, time]:
        n = self.used.get(day, 0)
        self.used[day] = n + 1
        return n // len(SLOTS_LOCAL), SLOTS_LOCAL[n % len(SLOTS_LOCAL)]

    @property
    def needed(self) -> int:
        return (
            max((n + len(SLOTS_LOCAL) - 1) // len(SLOTS_LOCAL) for n in self.used.values())
            if self.used
            else 0
        )


def generate(config: SynthConfig, chairs: _Chairs | None = None) -> Iterator[SynthPatient]:
    """The synthetic patients, one at a time (memory stays flat for any N)."""
    chairs = chairs or _Chairs()
    protocols = builtin_protocols()
    zone = zoneinfo.ZoneInfo(config.timezone)
    window_start = config.today - timedelta(days=int(config.months_back * 30.4))
    for i in range(config.first_index, config.first_index + config.patients):
        yield _patient(config, i, protocols, zone, window_start, chairs)


def _patient(
    config: SynthConfig,
    i: int,
    protocols: dict[str, Protocol],
    zone: zoneinfo.ZoneInfo,
    window_start: date,
    chairs: _Chairs,
) -> SynthPatient:
    rng = random.Random(f"{config.seed}:{i}")
    sex = "female" if rng.random() < 0.6 else "male"
    age = rng.randint(20, 70)
    latest_start = config.today - timedelta(days=config.latest_start_days_ago)
    started = window_start + timedelta(
        days=rng.randint(0, max(0, (latest_start - window_start).days))
    )
    dob = date(started.year - age, rng.randint(1, 12), rng.randint(1, 28))
    weight = float(rng.randint(52, 95) if sex == "female" else rng.randint(62, 110))
    height = float(rng.randint(152, 178) if sex == "female" else rng.randint(165, 195))
    archetype = _pick(rng, ARCHETYPES)
    remits = archetype in ("early_responder", "responder") and rng.random() < 0.5
    protocol = protocols[_pick(rng, PROTOCOL_MIX)]
    older = protocol.older_adult_from_age is not None and age >= protocol.older_adult_from_age.value
    induction = sum(
        p.sessions.value for p in protocol.phases if p.kind is PhaseKind.INDUCTION and p.sessions
    )
    planned = config.sessions_per_patient
    ended_reason = "completed"
    if archetype == "non_responder":
        planned = min(
            planned, protocol.review_after_session.value if rng.random() < 0.6 else induction
        )
        ended_reason = "non_response"
    elif archetype == "dropout":
        planned = min(planned, rng.randint(2, max(2, induction - 1)))
        ended_reason = "patient_choice"
    elif archetype == "relapse":
        ended_reason = "relapse_referred"
    first_day = started + timedelta(days=7)
    while first_day.weekday() >= 5:
        first_day += timedelta(days=1)
    schedule = [d for d in _session_days(protocol, first_day, planned) if d[0] < config.today]
    sessions = []
    for n, (day, code, _kind, k) in enumerate(schedule, start=1):
        chair, slot = chairs.take(day)
        sessions.append(_session(rng, protocol, n, day, code, k, weight, chair, slot, zone, older))
    finished = len(schedule) == planned
    kinds = {code: kind for _, code, kind, _ in schedule}
    log = [SynthPhaseChange("", "evaluation", _noon(started, zone), "Course started")]
    phase = "evaluation"
    for s in sessions:
        kind = kinds[s.phase_code]
        if kind != phase:
            log.append(
                SynthPhaseChange(
                    phase, kind, s.arrives_at - timedelta(minutes=5), f"Session {s.number}"
                )
            )
            phase = kind
    if finished and sessions:
        end_at = sessions[-1].signed_at + timedelta(days=rng.randint(1, 10))
        if end_at.date() < config.today:
            notes = {
                "completed": "Planned series completed.",
                "non_response": "Less than 20% improvement at the review point.",
                "patient_choice": "Stopped attending.",
                "relapse_referred": "Symptoms returned during maintenance; referred on.",
            }
            log.append(SynthPhaseChange(phase, "ended", end_at, notes[ended_reason]))
            phase = "ended"
    course = SynthCourse(
        protocol_code=protocol.code,
        started_on=started,
        phase=phase,
        ended_reason=ended_reason if phase == "ended" else "",
        ended_note=log[-1].reason if phase == "ended" else "",
        phase_log=log,
        sessions=sessions,
    )
    g0 = rng.randint(11, 20)
    p0 = rng.randint(10, 22)
    patient = SynthPatient(
        index=i,
        mrn=f"{config.mrn_prefix}-{i:07d}",
        given_name=GIVEN[i % len(GIVEN)],
        family_name=f"Synthetic-{i:06d}",
        date_of_birth=dob,
        sex_at_birth=sex,
        can_become_pregnant=sex == "female" and age < 50,
        weight_kg=weight,
        height_cm=height,
        diagnosis=_pick(rng, DIAGNOSES),
        archetype=archetype,
        remits=remits,
        baseline_gad7=g0,
        course=course,
        created_at=_noon(started - timedelta(days=rng.randint(1, 14)), zone),
    )
    patient.responses = _responses(rng, config, patient, g0, p0, induction, zone)
    return patient


def _noon(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=zone).astimezone(UTC)


def _score(baseline: int, frac: float, top: int, rng: random.Random) -> int:
    return int(min(top, max(0, round(baseline * (1 - frac) + rng.gauss(0, 0.8)))))


def _responses(
    rng: random.Random,
    config: SynthConfig,
    patient: SynthPatient,
    g0: int,
    p0: int,
    induction: int,
    zone: zoneinfo.ZoneInfo,
) -> list[SynthResponse]:
    """Baseline, before each session, then follow-ups every two weeks: GAD-7 and PHQ-9."""
    course = patient.course
    out: list[SynthResponse] = []
    target = config.responses_per_patient
    arch, remits = patient.archetype, patient.remits

    def pair(at: datetime, k: float, context: str, number: int | None) -> None:
        frac = _improvement(arch, remits, k, induction, rng)
        for code, base, top in (("gad7", g0, 21), ("phq9", p0, 27)):
            if len(out) >= target or at.date() >= config.today:
                return
            if context == "baseline":  # the entry severity itself: moderate to severe
                total = base
            else:
                total = _score(base, frac * (0.9 if code == "phq9" else 1.0), top, rng)
            out.append(SynthResponse(code, answers_for(code, total, rng), at, context, number))

    pair(_noon(course.started_on, zone), 0, "baseline", None)
    for s in course.sessions:
        pair(
            s.arrives_at + timedelta(minutes=10),
            s.number - 1 + 0.5 * (s.number > 1),
            "pre_session",
            s.number,
        )
    last = course.sessions[-1].arrives_at if course.sessions else _noon(course.started_on, zone)
    k = float(len(course.sessions))
    step = 0
    while len(out) < target:
        step += 1
        at = last + timedelta(days=14 * step)
        if at.date() >= config.today:
            break
        k += 0.5 if arch != "relapse" else 1.0
        pair(at, k, "follow_up", None)
    return out
