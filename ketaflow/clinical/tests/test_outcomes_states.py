"""The state of a course at each assessment, with the date each state began."""

from __future__ import annotations

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import default
from ketaflow.clinical.outcomes import OutcomeConfig, OutcomeState, RelapseRule, assess
from ketaflow.clinical.tests.test_outcomes_support import HAMA, MADRS, day, mwf

S = OutcomeState


def test_a_course_moves_from_baseline_through_response_to_remission_and_relapse() -> None:
    scores = [
        (day(0), 30),  # baseline
        (day(1), 28),  # 6.7%: not improving
        (day(3), 22),  # 26.7%: improving
        (day(5), 14),  # 53%: responder
        (day(8), 6),  # remitter
        (day(20), 18),  # lost response: the relapse's onset
        (day(27), 20),  # confirms the relapse
    ]
    report = assess(scores, HAMA, mwf())
    assert [(c.state, c.began) for c in report.states] == [
        (S.BASELINE, day(0)),
        (S.NOT_IMPROVING, day(1)),
        (S.IMPROVING, day(3)),
        (S.RESPONDER, day(5)),
        (S.REMITTER, day(8)),
        (S.RELAPSED, day(20)),  # dated at onset, not at confirmation (day 27)
    ]
    assert report.current_state is S.RELAPSED


def test_each_state_carries_its_sources() -> None:
    scores = [(day(0), 30), (day(1), 28), (day(5), 14), (day(8), 6)]
    keys = {c.state: {s.key for s in c.sources} for c in assess(scores, HAMA, mwf()).states}
    assert "A2" in keys[S.BASELINE]
    assert "S17" in keys[S.NOT_IMPROVING]
    assert "S11" in keys[S.RESPONDER]
    assert "S40" in keys[S.REMITTER]


def test_the_non_response_signal_makes_a_non_responder_until_a_response() -> None:
    scores = [(day(0), 30), (day(8), 27), (day(10), 22), (day(12), 12)]
    report = assess(scores, HAMA, mwf())
    assert [(c.state, c.began) for c in report.states] == [
        (S.BASELINE, day(0)),
        (S.NON_RESPONDER, day(8)),
        (S.RESPONDER, day(12)),
    ]


def test_a_relapsed_course_stays_relapsed_until_response_is_regained() -> None:
    scores = [
        (day(0), 36),
        (day(12), 10),
        (day(20), 30),
        (day(27), 30),
        (day(34), 20),
        (day(41), 15),
    ]
    report = assess(scores, MADRS, mwf(), OutcomeConfig(relapse=RelapseRule.sustain1()))
    # 36 -> 30 is 16.7% better; the relapse is confirmed on day 27 and began on day 20.
    assert [(c.state, c.began) for c in report.states] == [
        (S.BASELINE, day(0)),
        (S.REMITTER, day(12)),
        (S.RELAPSED, day(20)),
        (S.RESPONDER, day(41)),
    ]
    assert report.relapse_onset == day(20)
    assert report.state_on(day(34)) is S.RELAPSED
    assert report.state_on(day(41)) is S.RESPONDER


def test_the_state_on_a_date_is_the_last_state_begun_by_then() -> None:
    report = assess([(day(0), 30), (day(3), 22), (day(5), 14)], HAMA, mwf())
    assert report.state_on(day(-1)) is None
    assert report.state_on(day(0)) is S.BASELINE
    assert report.state_on(day(4)) is S.IMPROVING
    assert report.state_on(day(30)) is S.RESPONDER


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("improvement_min_pct", default(0.0, "S17")),
        ("early_improvement_by_session", default(0, "S18")),
        ("non_response_after_session", default(0, "S17")),
    ],
)
def test_an_impossible_outcome_config_is_rejected(field: str, value: object) -> None:
    with pytest.raises(ClinicalInputError) as err:
        OutcomeConfig(**{field: value})  # type: ignore[arg-type]
    assert err.value.field == field
