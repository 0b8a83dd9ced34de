"""The protocol's entry requirements: diagnosis in scope, baseline severity above the entry
threshold, enough failed adequate treatments, and the pre-treatment clearance work-up.

Unmet requirements suggest "needs review", not "not eligible": they are often things not yet
done (a missing ECG, a baseline score not taken) rather than reasons not to treat.
"""

from __future__ import annotations

from ketaflow.clinical.eligibility.conditions import conditions
from ketaflow.clinical.eligibility.criteria import DiagnosisScope, EligibilityCriteria
from ketaflow.clinical.eligibility.facts import (
    ClearanceItem,
    HistoryItem,
    PatientFacts,
    PregnancyStatus,
)
from ketaflow.clinical.eligibility.findings import Finding, FindingKind
from ketaflow.clinical.evidence import ClinicDefault, cite, merge

_UNMET = FindingKind.UNMET_REQUIREMENT
# Conditions that call for urine toxicology (APA consensus: when substance use is suspected).
SUBSTANCE_USE = (
    HistoryItem.SUBSTANCE_USE_DISORDER,
    HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT,
    HistoryItem.KETAMINE_PCP_MISUSE,
)


def scopes_present(facts: PatientFacts, criteria: EligibilityCriteria) -> list[DiagnosisScope]:
    """The protocol's diagnosis scopes the patient has a code for, in protocol order."""
    return [s for s in criteria.diagnoses_in_scope if any(s.matches(c) for c in facts.diagnoses)]


def diagnosis_and_severity_findings(
    facts: PatientFacts, criteria: EligibilityCriteria
) -> list[Finding]:
    """Met when at least one in-scope diagnosis has a baseline score above its threshold;
    otherwise one finding per in-scope diagnosis saying what is missing or too low."""
    scopes = scopes_present(facts, criteria)
    if not scopes:
        names = "; ".join(
            f"{s.name} ({', '.join(s.icd10_prefixes)})" for s in criteria.diagnoses_in_scope
        )
        return [
            Finding(
                _UNMET,
                "requirement.diagnosis_not_in_scope",
                f"no diagnosis this protocol treats; in scope: {names}",
                ("diagnoses",),
                merge(
                    [
                        cite("S8", "S11", "S13"),
                        *(s.entry_above.sources for s in criteria.diagnoses_in_scope),
                    ]
                ),
            )
        ]
    findings = []
    for scope in scopes:
        threshold = scope.entry_above
        score = facts.severity_scores.get(scope.instrument)
        if score is not None and score > threshold.value:
            return []
        if score is None:
            code = f"requirement.baseline_severity_missing.{scope.instrument}"
            message = (
                f"{scope.name}: no baseline {scope.instrument_label} score; the protocol enters "
                f"at {scope.instrument_label} > {threshold.value:g}"
            )
            sources = merge([threshold.sources, cite("A2")])
        else:
            code = f"requirement.severity_below_entry.{scope.instrument}"
            message = (
                f"{scope.name}: baseline {scope.instrument_label} {score:g} is not above the "
                f"entry threshold of {threshold.value:g}"
            )
            sources = threshold.sources
        findings.append(
            Finding(
                _UNMET,
                code,
                message,
                ("diagnoses", "severity_scores"),
                sources,
                threshold.needs_local_signoff,
            )
        )
    return findings


def failed_treatments(facts: PatientFacts, criteria: EligibilityCriteria) -> int:
    """Adequate prior trials whose outcome the protocol counts as failure (or the given count)."""
    if facts.failed_adequate_treatments is not None:
        return facts.failed_adequate_treatments
    return sum(
        1
        for t in facts.prior_treatments
        if t.adequate is True and t.outcome in criteria.failure_outcomes
    )


def adequacy_not_known(facts: PatientFacts, criteria: EligibilityCriteria) -> list[str]:
    """The names of the trials that would count as failed if adequate, whose adequacy is not
    known yet: they do not count (unknown is not adequate) until someone establishes it.
    Empty when the facts give a count instead of the trials."""
    if facts.failed_adequate_treatments is not None:
        return []
    return [
        t.name
        for t in facts.prior_treatments
        if t.adequate is None and t.outcome in criteria.failure_outcomes
    ]


def prior_treatment_findings(facts: PatientFacts, criteria: EligibilityCriteria) -> list[Finding]:
    minimum = criteria.min_failed_adequate_treatments
    failed = failed_treatments(facts, criteria)
    if failed >= minimum.value:
        return []
    fact_field = (
        "failed_adequate_treatments"
        if facts.failed_adequate_treatments is not None
        else "prior_treatments"
    )
    unknown = adequacy_not_known(facts, criteria)
    pending = (
        f"; whether {', '.join(unknown)} {'was' if len(unknown) == 1 else 'were'} adequate is "
        "still to be established (not known does not count)"
        if unknown
        else ""
    )
    return [
        Finding(
            _UNMET,
            "requirement.too_few_failed_treatments",
            f"{failed} failed adequate treatment(s) recorded; the protocol asks for at least "
            f"{minimum.value} (adequate dose and duration) before ketamine{pending}",
            (fact_field,),
            minimum.sources,
            minimum.needs_local_signoff,
        )
    ]


def clearance_findings(facts: PatientFacts, criteria: EligibilityCriteria) -> list[Finding]:
    """One finding per required clearance item not done, in `ClearanceItem` order.

    Besides the protocol's list: a pregnancy test for anyone who can become pregnant and is
    not already known to be pregnant or breast-feeding, and urine toxicology when there is a
    current or past substance use disorder, from the history or the diagnoses (each when the
    criteria say so).
    """
    required = criteria.required_clearance
    conditional = conditional_clearance(facts, criteria)
    findings = []
    for item in ClearanceItem:
        if item in facts.clearance_done:
            continue
        label = item.value.replace("_", " ")
        if item in conditional:
            rule, facts_used = conditional[item]
            findings.append(
                Finding(
                    _UNMET,
                    f"requirement.clearance_missing.{item.value}",
                    f"{label} not done (required for this patient)",
                    ("clearance_done", *facts_used),
                    rule.sources,
                    rule.needs_local_signoff,
                )
            )
        elif item in required.value:
            findings.append(
                Finding(
                    _UNMET,
                    f"requirement.clearance_missing.{item.value}",
                    f"{label} not done (required by the protocol before treatment)",
                    ("clearance_done",),
                    required.sources,
                    required.needs_local_signoff,
                )
            )
    return findings


def conditional_clearance(
    facts: PatientFacts, criteria: EligibilityCriteria
) -> dict[ClearanceItem, tuple[ClinicDefault[bool], tuple[str, ...]]]:
    """Items required by this patient's facts: the rule that requires each, and the facts."""
    needs: dict[ClearanceItem, tuple[ClinicDefault[bool], tuple[str, ...]]] = {}
    test = criteria.pregnancy_test_required
    if test.value and facts.pregnancy in (PregnancyStatus.NOT_PREGNANT, PregnancyStatus.UNKNOWN):
        needs[ClearanceItem.PREGNANCY_TEST] = (test, ("pregnancy",))
    tox = criteria.urine_toxicology_if_substance_use
    present = conditions(facts)
    ways = sorted({way for item in SUBSTANCE_USE for way in present.get(item, ())})
    if tox.value and ways:
        needs[ClearanceItem.URINE_TOXICOLOGY] = (tox, tuple(ways))
    return needs
