"""Which prior treatments count as failed adequate trials is the core's rule, read everywhere."""

from ketaflow.clinical.eligibility import EligibilityCriteria
from ketaflow.clinical.eligibility import TreatmentOutcome as Core
from ketaflow.patients.codes import CORE_OUTCOME, FAILED_TRIAL_OUTCOMES, TreatmentOutcome
from ketaflow.patients.models import PriorTreatment


def test_every_chart_outcome_but_unknown_has_the_cores_word():
    assert set(CORE_OUTCOME) == set(TreatmentOutcome) - {TreatmentOutcome.UNKNOWN}
    assert set(CORE_OUTCOME.values()) == set(Core)


def test_the_failed_outcomes_are_the_cores_failure_outcomes():
    failures = EligibilityCriteria().failure_outcomes
    assert {CORE_OUTCOME[c] for c in FAILED_TRIAL_OUTCOMES} == failures
    assert {TreatmentOutcome.NO_RESPONSE, TreatmentOutcome.PARTIAL} == FAILED_TRIAL_OUTCOMES


def test_the_charts_tag_reads_the_same_set():
    def trial(outcome: str, adequate: bool = True) -> PriorTreatment:
        return PriorTreatment(outcome=outcome, adequate=adequate, status="active")

    assert [o for o in TreatmentOutcome if trial(o).counts_as_failed_adequate_trial] == [
        TreatmentOutcome.NO_RESPONSE,
        TreatmentOutcome.PARTIAL,
    ]
    assert not trial(TreatmentOutcome.NO_RESPONSE, adequate=False).counts_as_failed_adequate_trial
