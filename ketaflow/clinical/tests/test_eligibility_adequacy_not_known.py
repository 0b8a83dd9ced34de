"""An adequate trial is asked, yes / no / not known (issue #13): a trial whose adequacy is not
known does not count as a failed adequate trial, and the needs list says it is still to be
established rather than calling the patient short of the protocol."""

from __future__ import annotations

from ketaflow.clinical.eligibility import (
    DEFAULT_CRITERIA,
    NeedKind,
    NeedState,
    PriorTreatment,
    TreatmentKind,
    TreatmentOutcome,
    assess_eligibility,
    protocol_needs,
)
from ketaflow.clinical.eligibility.requirement_rules import adequacy_not_known, failed_treatments
from ketaflow.clinical.tests.eligibility_personas import anna

PHARMA = TreatmentKind.PHARMACOTHERAPY


def _trial(name: str, adequate: bool | None, outcome=TreatmentOutcome.NO_RESPONSE):
    return PriorTreatment(name, PHARMA, adequate, outcome)


def _need(facts):
    return next(
        n for n in protocol_needs(DEFAULT_CRITERIA, facts) if n.kind is NeedKind.PRIOR_TREATMENTS
    )


def test_not_known_is_not_adequate():
    facts = anna(
        failed_adequate_treatments=None,
        prior_treatments=(_trial("sertraline", True), _trial("pregabalin", None)),
    )
    assert failed_treatments(facts, DEFAULT_CRITERIA) == 1
    (finding,) = assess_eligibility(facts).findings
    assert finding.code == "requirement.too_few_failed_treatments"
    assert finding.message.startswith("1 failed adequate treatment(s) recorded")
    assert "whether pregabalin was adequate is still to be established" in finding.message
    # Established as adequate, it counts and the requirement is met.
    enough = anna(
        failed_adequate_treatments=None,
        prior_treatments=(_trial("sertraline", True), _trial("pregabalin", True)),
    )
    assert assess_eligibility(enough).codes == ()


def test_only_a_trial_that_would_count_is_waiting_on_its_adequacy():
    facts = anna(
        failed_adequate_treatments=None,
        prior_treatments=(
            _trial("sertraline", None, TreatmentOutcome.RESPONSE),  # would not count anyway
            _trial("pregabalin", None),
            _trial("escitalopram", False),
        ),
    )
    assert adequacy_not_known(facts, DEFAULT_CRITERIA) == ["pregabalin"]


def test_the_needs_card_says_the_adequacy_is_still_to_be_established():
    facts = anna(
        failed_adequate_treatments=None,
        prior_treatments=(_trial("sertraline", True), _trial("pregabalin", None)),
    )
    need = _need(facts)
    assert need.state is NeedState.MISSING  # an answer to find, not a shortfall
    assert need.status == (
        "1 of 2 recorded; still to be established whether pregabalin was an adequate trial"
    )
    # A "no" is an answer: the patient is then short of the protocol.
    answered = anna(
        failed_adequate_treatments=None,
        prior_treatments=(_trial("sertraline", True), _trial("pregabalin", False)),
    )
    assert _need(answered).state is NeedState.NOT_MET
    assert _need(answered).status == "1 of 2 recorded"
