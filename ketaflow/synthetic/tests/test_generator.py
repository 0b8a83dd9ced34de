"""The synthetic generator: deterministic, realistic, and every session a valid record."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from ketaflow.clinical import administration as adm
from ketaflow.clinical.monitoring.alerts import AlertLevel, Phase, assess_reading
from ketaflow.clinical.monitoring.vitals import VitalSigns
from ketaflow.synthetic.generator import RESPONDING, SynthConfig, SynthPatient, generate, scored

TODAY = date(2026, 11, 2)


def _patients(n: int = 600, seed: int = 7, **kw: object) -> list[SynthPatient]:
    return list(generate(SynthConfig(seed=seed, patients=n, today=TODAY, **kw)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cohort() -> list[SynthPatient]:
    return _patients()


def _shape(ps: list[SynthPatient]) -> list[object]:
    return [
        (
            p.mrn,
            p.archetype,
            p.course.protocol_code,
            [(s.arrives_at, s.order.dose_mg, len(s.events)) for s in p.course.sessions],
            [(r.instrument, r.answers, r.administered_at) for r in p.responses],
        )
        for p in ps
    ]


def test_the_same_seed_gives_the_same_histories() -> None:
    assert _shape(_patients(50)) == _shape(_patients(50))


def test_another_seed_gives_other_histories() -> None:
    assert _shape(_patients(50, seed=1)) != _shape(_patients(50, seed=2))


def test_a_patient_is_the_same_whatever_the_size_of_the_run() -> None:
    assert _shape(_patients(5)) == _shape(_patients(40))[:5]


def test_every_archetype_appears_in_plausible_proportions(cohort: list[SynthPatient]) -> None:
    counts = Counter(p.archetype for p in cohort)
    assert set(counts) == {"early_responder", "responder", "relapse", "non_responder", "dropout"}
    responding = sum(counts[a] for a in RESPONDING) / len(cohort)
    assert 0.5 <= responding <= 0.8  # T11 70.8%, T12 67.5% respond by the end of induction


def _gad7(p: SynthPatient) -> list[tuple[str, int]]:
    return [
        (r.context, int(scored(r.instrument, r.answers)["total"]))  # type: ignore[call-overload]
        for r in p.responses
        if r.instrument == "gad7"
    ]


def test_baselines_are_moderate_to_severe(cohort: list[SynthPatient]) -> None:
    for p in cohort:
        first = _gad7(p)[0]
        assert first[0] == "baseline" and first[1] >= 10


def test_measured_response_rates_match_the_archetypes(cohort: list[SynthPatient]) -> None:
    """≥ 50% GAD-7 reduction at the best point: most responders, few non-responders."""

    def responded(p: SynthPatient) -> bool:
        scores = _gad7(p)
        return min(s for _, s in scores[1:]) <= scores[0][1] * 0.5 if len(scores) > 1 else False

    by = {
        a: [responded(p) for p in cohort if p.archetype == a]
        for a in ("responder", "non_responder")
    }
    assert sum(by["responder"]) / len(by["responder"]) > 0.85
    assert sum(by["non_responder"]) / len(by["non_responder"]) < 0.25
    overall = sum(responded(p) for p in cohort) / len(cohort)
    assert 0.45 <= overall <= 0.85


def test_some_remit_and_relapses_climb_back(cohort: list[SynthPatient]) -> None:
    remitted = [p for p in cohort if min(s for _, s in _gad7(p)) <= 4]
    assert len(remitted) > len(cohort) * 0.15
    relapses = [p for p in cohort if p.archetype == "relapse" and len(_gad7(p)) > 8]
    climbed = [p for p in relapses if _gad7(p)[-1][1] >= min(s for _, s in _gad7(p)) + 4]
    assert relapses and len(climbed) / len(relapses) > 0.7


def test_every_session_is_a_valid_administration_record_delivering_the_order(
    cohort: list[SynthPatient],
) -> None:
    pauses = 0
    for p in cohort:
        for s in p.course.sessions:
            events = []
            for e in s.events:
                mg_per_min = (
                    adm.mg_per_min_from_ml_per_h(e.rate_ml_per_h, s.order.concentration_mg_per_ml)
                    if e.rate_ml_per_h is not None and s.order.concentration_mg_per_ml
                    else None
                )
                events.append(
                    adm.Event(e.at, adm.EventKind(e.kind), mg_per_min=mg_per_min, mg=e.bolus_mg)
                )
            record = adm.validate_events(events)  # raises on an impossible sequence
            assert adm.delivered_mg(record, s.ends_at) == pytest.approx(s.order.dose_mg, abs=0.06)
            assert record.final_state in (adm.InfusionState.STOPPED, adm.InfusionState.NOT_STARTED)
            pauses += any(e.kind == "pause" for e in s.events)
            assert s.arrives_at < s.discharged_at <= s.ends_at
            assert s.discharged_at < s.signed_at
            assert s.day < TODAY
    assert pauses > 0  # some infusions are paused and resumed


def test_every_sign_blocking_alert_is_acknowledged(cohort: list[SynthPatient]) -> None:
    excursions = 0
    for p in cohort[:200]:
        for s in p.course.sessions:
            base = s.vitals[0]
            for i, v in enumerate(s.vitals):
                signs = VitalSigns(v.sbp, v.dbp, v.hr, v.spo2, v.rr)
                phase = (
                    Phase.PRE_DOSE if i == 0 else Phase.DURING_DOSE if i == 1 else Phase.POST_DOSE
                )
                baseline = (
                    None if i == 0 else VitalSigns(base.sbp, base.dbp, base.hr, base.spo2, base.rr)
                )
                alerts = assess_reading(signs, phase=phase, baseline=baseline)
                blocking = {a.code for a in alerts if a.level >= AlertLevel.WARN}
                assert blocking <= set(v.ack_codes)
                excursions += bool(blocking)
    assert excursions > 0  # some sessions have BP excursions


def test_no_chair_is_double_booked(cohort: list[SynthPatient]) -> None:
    slots = [(s.chair_index, s.arrives_at) for p in cohort for s in p.course.sessions]
    assert len(slots) == len(set(slots))


def test_dropouts_and_non_responders_have_shorter_courses(cohort: list[SynthPatient]) -> None:
    def mean(a: str) -> float:
        xs = [len(p.course.sessions) for p in cohort if p.archetype == a]
        return sum(xs) / len(xs)

    assert mean("dropout") < mean("non_responder") < mean("responder")
    ended = Counter(p.course.ended_reason for p in cohort if p.course.phase == "ended")
    assert {"completed", "non_response", "patient_choice", "relapse_referred"} <= set(ended)


def test_names_are_obviously_made_up(cohort: list[SynthPatient]) -> None:
    assert all(p.family_name.startswith("Synthetic-") and p.mrn.startswith("SYN-") for p in cohort)


def test_sessions_and_responses_per_patient_are_capped() -> None:
    for p in _patients(100, sessions_per_patient=4, responses_per_patient=9):
        assert len(p.course.sessions) <= 4 and len(p.responses) <= 9
