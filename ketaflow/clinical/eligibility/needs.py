"""What a protocol needs before a patient can be found eligible, with each need's state.

The list a screening page shows before a review is opened: the clearance work-up, a resting
blood pressure, the failed adequate trials, and the diagnosis and baseline score that enter a
patient. It is read off the same `EligibilityCriteria` the requirement rules assess, through
the same helpers (`scopes_present`, `failed_treatments`, `conditional_clearance`), so a need
is "recorded" exactly when its rule finds nothing unmet; change a criterion and the list
changes with it.

Without facts (the chart cannot be read yet) every need is listed with its state unknown, and
needs that depend on the patient say when they apply.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ketaflow.clinical.eligibility.conditions import conditions
from ketaflow.clinical.eligibility.criteria import DiagnosisScope, EligibilityCriteria
from ketaflow.clinical.eligibility.facts import (
    ClearanceItem,
    HistoryItem,
    PatientFacts,
)
from ketaflow.clinical.eligibility.history_rules import HISTORY_RULES, _Rule
from ketaflow.clinical.eligibility.requirement_rules import (
    adequacy_not_known,
    conditional_clearance,
    failed_treatments,
    scopes_present,
)
from ketaflow.clinical.evidence import Source, cite, merge

_OUTCOME_WORDS = {
    "no_response": "no response",
    "partial_response": "a partial response",
    "response": "a response",
    "stopped_intolerance": "stopping because it was not tolerated",
}


class NeedKind(enum.Enum):
    CLEARANCE = "clearance"
    BLOOD_PRESSURE = "blood_pressure"
    PRIOR_TREATMENTS = "prior_treatments"
    DIAGNOSIS = "diagnosis"
    ENTRY_SCORE = "entry_score"


class NeedState(enum.Enum):
    RECORDED = "recorded"  # on record and meets the protocol
    MISSING = "missing"  # nothing on record yet
    NOT_MET = "not_met"  # on record but short of the protocol (a score too low, too few trials)
    NOT_APPLICABLE = "not_applicable"  # does not apply to this patient
    UNKNOWN = "unknown"  # no facts to judge by


@dataclass(frozen=True)
class Need:
    """One thing the protocol needs: what, the rule in words, and where this patient stands.

    `item` is set for clearance needs, `scope` for entry scores (the app links each to the
    place it is recorded). `status` says the patient's state in words ("1 of 2 recorded").
    """

    kind: NeedKind
    what: str
    rule: str
    state: NeedState
    status: str
    sources: tuple[Source, ...]
    needs_local_signoff: bool = False
    item: ClearanceItem | None = None
    scope: DiagnosisScope | None = None


def _words(item: ClearanceItem) -> str:
    return item.value.replace("_", " ")


def _clearance(facts: PatientFacts | None, criteria: EligibilityCriteria) -> list[Need]:
    required = criteria.required_clearance
    conditional = conditional_clearance(facts, criteria) if facts is not None else {}
    present = conditions(facts) if facts is not None else {}
    review = HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT in present
    needs = []
    for item in ClearanceItem:
        done = facts is not None and item in facts.clearance_done
        if item in required.value:
            rule, sources, signoff = (
                "required by the protocol before treatment",
                required.sources,
                required.needs_local_signoff,
            )
        elif item in conditional:
            setting = conditional[item][0]
            rule = (
                "required for this patient: can become pregnant"
                if item is ClearanceItem.PREGNANCY_TEST
                else "required for this patient: substance use on record"
            )
            sources, signoff = setting.sources, setting.needs_local_signoff
        elif item is ClearanceItem.SUBSTANCE_USE_REVIEW and facts is not None and review:
            entry = HISTORY_RULES[HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT]
            found = entry if isinstance(entry, _Rule) else entry(facts, criteria)
            rule = "required for this patient: a current substance use disorder is on record"
            sources, signoff = cite(*found.keys), found.needs_local_signoff
        elif facts is None and item is ClearanceItem.PREGNANCY_TEST:
            if not criteria.pregnancy_test_required.value:
                continue
            setting = criteria.pregnancy_test_required
            rule = "required if the patient can become pregnant"
            sources, signoff = setting.sources, setting.needs_local_signoff
        elif facts is None and item is ClearanceItem.URINE_TOXICOLOGY:
            if not criteria.urine_toxicology_if_substance_use.value:
                continue
            setting = criteria.urine_toxicology_if_substance_use
            rule = "required if there is current or past substance use"
            sources, signoff = setting.sources, setting.needs_local_signoff
        else:
            continue
        if facts is None:
            state, status = NeedState.UNKNOWN, "not known"
        elif done:
            state, status = NeedState.RECORDED, "recorded"
        else:
            state, status = NeedState.MISSING, "not recorded yet"
        needs.append(
            Need(NeedKind.CLEARANCE, _words(item), rule, state, status, sources, signoff, item)
        )
    return needs


def _blood_pressure(facts: PatientFacts | None, criteria: EligibilityCriteria) -> Need:
    exclusion = criteria.bp_exclusion_above
    rule = f"measured before deciding; above {exclusion.value} excludes"
    if facts is None:
        state, status = NeedState.UNKNOWN, "not known"
    elif facts.blood_pressure is None:
        state, status = NeedState.MISSING, "not recorded yet"
    elif exclusion.value.exceeded_by(facts.blood_pressure):
        state, status = NeedState.NOT_MET, f"{facts.blood_pressure}: above {exclusion.value}"
    else:
        state, status = NeedState.RECORDED, str(facts.blood_pressure)
    return Need(
        NeedKind.BLOOD_PRESSURE,
        "resting blood pressure",
        rule,
        state,
        status,
        merge([cite("S1", "S5"), exclusion.sources]),
        exclusion.needs_local_signoff,
    )


def _prior_treatments(facts: PatientFacts | None, criteria: EligibilityCriteria) -> Need:
    minimum = criteria.min_failed_adequate_treatments
    outcomes = " or ".join(
        _OUTCOME_WORDS.get(o.value, o.value.replace("_", " "))
        for o in sorted(criteria.failure_outcomes, key=lambda o: o.value)
    )
    rule = (
        f"at least {minimum.value} adequate trial{'s' if minimum.value != 1 else ''} of an "
        "anxiety treatment (medication at an adequate dose and duration, or a full course of "
        f"psychotherapy) that ended in {outcomes}"
    )
    if facts is None:
        state, status = NeedState.UNKNOWN, "not known"
    else:
        failed = failed_treatments(facts, criteria)
        status = f"{failed} of {minimum.value} recorded"
        unknown = adequacy_not_known(facts, criteria)
        if failed >= minimum.value:
            state = NeedState.RECORDED
        elif failed == 0 or unknown:
            # A trial whose adequacy is not known does not count, but it is an answer still
            # to be found, not a shortfall: missing, with what is still to be established.
            state = NeedState.MISSING
        else:
            state = NeedState.NOT_MET
        if unknown and failed < minimum.value:
            status += (
                f"; still to be established whether {', '.join(unknown)} "
                f"{'was' if len(unknown) == 1 else 'were'} an adequate trial"
            )
    return Need(
        NeedKind.PRIOR_TREATMENTS,
        "failed adequate trials",
        rule,
        state,
        status,
        minimum.sources,
        minimum.needs_local_signoff,
    )


def _diagnosis(facts: PatientFacts | None, criteria: EligibilityCriteria) -> Need:
    names = "; ".join(
        f"{s.name} ({', '.join(s.icd10_prefixes)})" for s in criteria.diagnoses_in_scope
    )
    sources = merge(
        [cite("S8", "S11", "S13"), *(s.entry_above.sources for s in criteria.diagnoses_in_scope)]
    )
    if facts is None:
        state, status = NeedState.UNKNOWN, "not known"
    else:
        present = scopes_present(facts, criteria)
        if present:
            state, status = NeedState.RECORDED, ", ".join(s.name for s in present)
        else:
            state, status = NeedState.MISSING, "none of these recorded"
    return Need(
        NeedKind.DIAGNOSIS, "a diagnosis the protocol treats", names, state, status, sources
    )


def _entry_scores(facts: PatientFacts | None, criteria: EligibilityCriteria) -> list[Need]:
    present = scopes_present(facts, criteria) if facts is not None else []
    needs = []
    for scope in criteria.diagnoses_in_scope:
        threshold = scope.entry_above
        label = scope.instrument_label
        rule = f"for {scope.name}: a baseline {label} above {threshold.value:g}"
        if facts is None:
            state, status = NeedState.UNKNOWN, "not known"
        else:
            score = facts.severity_scores.get(scope.instrument)
            shown = "" if score is None else f"{label} {score:g}"
            if not present:  # which score counts waits on the diagnosis
                state = NeedState.UNKNOWN
                status = "depends on the diagnosis" + (f" ({shown} on record)" if shown else "")
            elif scope not in present:
                state = NeedState.NOT_APPLICABLE
                status = "not this patient's diagnosis" + (f" ({shown} on record)" if shown else "")
            elif score is None:
                state, status = NeedState.MISSING, f"no baseline {label} yet"
            elif score > threshold.value:
                state, status = NeedState.RECORDED, shown
            else:
                state, status = NeedState.NOT_MET, f"{shown}: not above {threshold.value:g}"
        needs.append(
            Need(
                NeedKind.ENTRY_SCORE,
                f"baseline {label}",
                rule,
                state,
                status,
                merge([threshold.sources, cite("A2")]),
                threshold.needs_local_signoff,
                scope=scope,
            )
        )
    return needs


def protocol_needs(
    criteria: EligibilityCriteria, facts: PatientFacts | None = None
) -> tuple[Need, ...]:
    """Everything the protocol's entry rules ask for, in the order a clinic gathers it:
    diagnosis and baseline scores, failed adequate trials, clearance work-up, resting BP.

    With `facts`, each need says whether this patient has it; needs that do not apply to the
    patient (a pregnancy test for someone who cannot become pregnant) are left out.
    """
    return (
        _diagnosis(facts, criteria),
        *_entry_scores(facts, criteria),
        _prior_treatments(facts, criteria),
        *_clearance(facts, criteria),
        _blood_pressure(facts, criteria),
    )
