"""Medical and psychiatric history: which conditions exclude, which need review, which call
for caution. A condition comes from a history item or from an ICD-10 code (`conditions`): one
rule, two ways in, the same finding.

Exclusions follow the labels: SPRAVATO contraindications (aneurysmal vascular disease or AVM,
intracerebral haemorrhage, hypersensitivity) [S1]; ketamine labels (patients in whom a rise in
BP is a serious hazard, stroke, severe cardiac disease, pre-eclampsia, cerebral trauma,
raised CSF pressure, uncontrolled hyperthyroidism) [S4]; and the NHS Oxford service's
exclusions of current psychosis, (especially drug-induced) mania, recreational drug use,
raised intracranial pressure and planned pregnancy [S37 (S37b)], with the Glue programme's
exclusion of intended pregnancy [S11]. Items the sources treat as relative (past psychosis,
past substance use, glaucoma, epilepsy...) are cautions.

Choices made here, and why:
- A current manic, hypomanic or mixed episode excludes: S37b excludes even a history of
  mania, and the consensus evidence is for mood episodes without psychotic features [A2]; a
  past history stays a caution, as before.
- A current substance use disorder (active dependence, F10-F19 .2x) needs review rather than
  excluding: the labels ask for careful consideration and monitoring, not exclusion [S1, S2,
  S4], and only one service excludes [S37b]; the review comes with urine toxicology [S5].
  A clinician's substance-use review on record (no concern, or monitor) turns it into a
  caution to monitor for misuse; without one it stays an unmet requirement.
- Ketamine or PCP misuse, current or past, excludes: treatment gives the misused drug itself
  (a research protocol excluded recreational ketamine/PCP use [S48]; abuse and dependence
  warnings [S1, S4]; dose-dependent urinary tract damage in recreational users [S33]).
- Liver disease by Child-Pugh class: the esketamine label asks for longer monitoring in
  moderate (B) and does not recommend use in severe (C) impairment, which was not studied
  (section 8.6, read in the 2019 PI mirror) [S1]; mild (A) keeps the liver-test caution.
  Racemic ketamine has no such label section; it is cleared by hepatic CYP3A4/CYP2B6
  metabolism [S31, S20] and carries a liver-injury warning [S4, S32], so the same steps apply
  by analogy as clinic defaults needing local sign-off. Without a class the finding asks for
  one (needs review).
- LUTS or ketamine cystitis is a caution that asks for a baseline LUTS screen, or says one
  is on record [S4, S33, A3].
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ketaflow.clinical.eligibility.conditions import conditions, conditions_of
from ketaflow.clinical.eligibility.criteria import EligibilityCriteria
from ketaflow.clinical.eligibility.facts import ClearanceItem, HistoryItem, PatientFacts
from ketaflow.clinical.eligibility.findings import Finding, FindingKind
from ketaflow.clinical.evidence import cite

_EXC = FindingKind.EXCLUSION
_CAU = FindingKind.CAUTION
_UNMET = FindingKind.UNMET_REQUIREMENT
PREFIX = {_EXC: "exclusion", _CAU: "caution", _UNMET: "requirement"}


@dataclass(frozen=True)
class _Rule:
    kind: FindingKind
    message: str
    keys: tuple[str, ...]
    needs_local_signoff: bool = False


# A rule that depends on more than the condition (planned route, clearance, criteria).
_Variant = Callable[[PatientFacts, EligibilityCriteria], _Rule]

HISTORY_RULES: dict[HistoryItem, _Rule | _Variant] = {
    HistoryItem.HYPERSENSITIVITY_KETAMINE: _Rule(
        _EXC, "hypersensitivity to ketamine, esketamine or an excipient", ("S1", "S4")
    ),
    HistoryItem.ANEURYSM_OR_AVM: _Rule(
        _EXC,
        "aneurysmal vascular disease (aortic, intracranial or peripheral) or arteriovenous "
        "malformation: a contraindication in the esketamine label",
        ("S1", "S4"),
    ),
    HistoryItem.INTRACEREBRAL_HAEMORRHAGE: _Rule(
        _EXC, "history of intracerebral haemorrhage: a contraindication", ("S1",)
    ),
    HistoryItem.STROKE: _Rule(
        _EXC,
        "history of stroke (cerebrovascular accident): a rise in BP would be a serious hazard",
        ("S4",),
    ),
    HistoryItem.RAISED_INTRACRANIAL_PRESSURE: _Rule(
        _EXC, "raised intracranial pressure: ketamine raises CSF pressure", ("S4", "S37")
    ),
    HistoryItem.CEREBRAL_TRAUMA: _Rule(
        _EXC, "cerebral trauma: ketamine 'should not be used' (UK SmPC)", ("S4",)
    ),
    HistoryItem.SEVERE_CARDIAC_DISEASE: _Rule(
        _EXC, "severe coronary or myocardial disease: ketamine 'should not be used'", ("S4",)
    ),
    HistoryItem.PRE_ECLAMPSIA: _Rule(
        _EXC, "eclampsia or pre-eclampsia: a contraindication in the ketamine labels", ("S4",)
    ),
    HistoryItem.HYPERTHYROIDISM_UNCONTROLLED: _Rule(
        _EXC,
        "untreated or insufficiently treated hyperthyroidism: a contraindication (Swiss label)",
        ("S4",),
    ),
    HistoryItem.PSYCHOSIS_CURRENT: _Rule(
        _EXC,
        "psychotic disorder (ICD-10 F20-F29) or current or recent psychosis: ketamine can "
        "worsen positive psychotic symptoms",
        ("S37", "S1", "S47", "A2"),
    ),
    HistoryItem.MANIA_CURRENT: _Rule(
        _EXC,
        "current manic, hypomanic or mixed episode: ketamine can worsen it; services exclude "
        "even a history of (especially drug-induced) mania; treat the episode first",
        ("S37", "A2"),
    ),
    HistoryItem.KETAMINE_PCP_MISUSE: _Rule(
        _EXC,
        "recreational ketamine or PCP use or misuse (ICD-10 F16 covers PCP): treatment would "
        "give the misused drug itself; risk of relapse, dependence and urinary tract damage",
        ("S48", "S1", "S4", "S33"),
    ),
    HistoryItem.PLANNING_PREGNANCY: _Rule(
        _EXC,
        "planning a pregnancy (including IVF): excluded by the anxiety trials and NHS service",
        ("S11", "S37", "S1"),
    ),
    HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT: lambda facts, criteria: _current_substance_use(
        facts
    ),
    HistoryItem.PSYCHOSIS_PAST: _Rule(
        _CAU,
        "past psychosis: assess carefully and treat only if benefit outweighs risk",
        ("S1", "S47"),
    ),
    HistoryItem.MANIA: _Rule(
        _CAU,
        "history of mania (some services exclude, especially drug-induced mania): weigh "
        "benefit and risk",
        ("S37",),
    ),
    HistoryItem.SUBSTANCE_USE_DISORDER: _Rule(
        _CAU,
        "history of substance use disorder (including alcohol): consider carefully and "
        "monitor for misuse, dependence and diversion",
        ("S1", "S2", "S48", "S37"),
    ),
    HistoryItem.HYPERTENSION: _Rule(
        _CAU,
        "hypertension: ketamine raises BP; severe rises are more likely with known "
        "hypertension, so monitor BP closely",
        ("S4", "S25", "S1"),
    ),
    HistoryItem.HYPERTENSIVE_ENCEPHALOPATHY: _Rule(
        _CAU,
        "history of hypertensive encephalopathy: more intensive BP and symptom monitoring",
        ("S1",),
    ),
    HistoryItem.CARDIOVASCULAR_DISEASE: _Rule(
        _CAU,
        "other cardiovascular or cerebrovascular disease: careful benefit/risk assessment",
        ("S1", "S4"),
    ),
    HistoryItem.HYPERTHYROIDISM_TREATED: _Rule(
        _CAU,
        "treated hyperthyroidism: confirm it is controlled (uncontrolled is a contraindication)",
        ("S4",),
    ),
    HistoryItem.GLAUCOMA: _Rule(
        _CAU,
        "glaucoma or raised intraocular pressure: ketamine can raise intraocular pressure",
        ("S4", "S37"),
    ),
    HistoryItem.EPILEPSY: _Rule(
        _CAU, "epilepsy (some services exclude recent epilepsy)", ("S37", "S4")
    ),
    HistoryItem.LIVER_DISEASE: _Rule(
        _UNMET,
        "liver disease with no Child-Pugh class recorded: record it (A, B or C); the "
        "esketamine label asks for longer monitoring in moderate and does not recommend use "
        "in severe impairment; baseline and periodic liver function tests (ALP, GGT)",
        ("S1", "S4", "S32"),
    ),
    HistoryItem.LIVER_DISEASE_CHILD_PUGH_A: _Rule(
        _CAU,
        "mild hepatic impairment (Child-Pugh A): the esketamine label's hepatic cautions are "
        "for moderate and severe impairment; recurrent ketamine is linked to hepatobiliary "
        "injury: baseline and periodic liver function tests (ALP, GGT)",
        ("S1", "S4", "S32"),
    ),
    HistoryItem.LIVER_DISEASE_CHILD_PUGH_B: lambda facts, criteria: _moderate_liver(facts),
    HistoryItem.LIVER_DISEASE_CHILD_PUGH_C: lambda facts, criteria: _severe_liver(facts, criteria),
    HistoryItem.SLEEP_APNOEA: _Rule(
        _CAU,
        "sleep apnoea: respiratory depression risk; monitor respiration and SpO2",
        ("S37", "S4"),
    ),
    HistoryItem.LUTS_OR_CYSTITIS: lambda facts, criteria: _luts(facts),
}


# A condition shown only when the more serious one is absent (one finding per condition).
SUPERSEDED_BY: dict[HistoryItem, tuple[HistoryItem, ...]] = {
    HistoryItem.PSYCHOSIS_PAST: (HistoryItem.PSYCHOSIS_CURRENT,),
    HistoryItem.MANIA: (HistoryItem.MANIA_CURRENT,),
    HistoryItem.SUBSTANCE_USE_DISORDER: (HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT,),
    HistoryItem.LIVER_DISEASE: (
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_A,
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_B,
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_C,
    ),
    HistoryItem.LIVER_DISEASE_CHILD_PUGH_A: (
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_B,
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_C,
    ),
    HistoryItem.LIVER_DISEASE_CHILD_PUGH_B: (HistoryItem.LIVER_DISEASE_CHILD_PUGH_C,),
}


def _moderate_liver(facts: PatientFacts) -> _Rule:
    if facts.planned_route.is_esketamine:
        return _Rule(
            _CAU,
            "moderate hepatic impairment (Child-Pugh B): esketamine exposure (AUC, half-life) "
            "is higher; monitor for adverse reactions for longer than usual",
            ("S1",),
        )
    return _Rule(
        _CAU,
        "moderate hepatic impairment (Child-Pugh B): ketamine is cleared by hepatic "
        "metabolism (CYP3A4, CYP2B6), so expect higher, longer exposure: consider a lower dose "
        "and a longer observation (by analogy with the esketamine label; clinic default)",
        ("S1", "S31", "S20", "S4", "S32"),
        needs_local_signoff=True,
    )


def _severe_liver(facts: PatientFacts, criteria: EligibilityCriteria) -> _Rule:
    if facts.planned_route.is_esketamine:
        return _Rule(
            _EXC,
            "severe hepatic impairment (Child-Pugh C): esketamine has not been studied; the "
            "label does not recommend use",
            ("S1",),
        )
    rule = criteria.severe_hepatic_impairment_excludes_racemic
    return _Rule(
        _EXC if rule.value else _CAU,
        "severe hepatic impairment (Child-Pugh C): not studied with ketamine; hepatic "
        "clearance and the liver-injury warning make it "
        + ("a clinic exclusion" if rule.value else "a serious caution")
        + " (by analogy with the esketamine label)",
        tuple(s.key for s in rule.sources),
        needs_local_signoff=rule.needs_local_signoff,
    )


def _luts(facts: PatientFacts) -> _Rule:
    if ClearanceItem.LUTS_SCREEN in facts.clearance_done:
        baseline = (
            "a baseline LUTS screen is on record: repeat it at each maintenance visit and stop "
            "or refer if symptoms appear or worsen"
        )
    else:
        baseline = (
            "a baseline LUTS screen is needed before the first session (frequency, urgency, "
            "dysuria, haematuria, suprapubic pain), then at each maintenance visit"
        )
    return _Rule(
        _CAU,
        "history of lower urinary tract symptoms or ketamine cystitis: ketamine can cause "
        f"cystitis; {baseline}",
        ("S4", "S33", "A3"),
    )


def _current_substance_use(facts: PatientFacts) -> _Rule:
    ketamine = "if the substance is ketamine or PCP, record ketamine/PCP misuse, which excludes"
    keys = ("S1", "S2", "S37", "S5", "S48")
    if ClearanceItem.SUBSTANCE_USE_REVIEW in facts.clearance_done:
        return _Rule(
            _CAU,
            "current substance use disorder or active dependence (ICD-10 F10-F19 .2x): a "
            "substance-use review found it manageable; monitor for misuse, dependence and "
            f"diversion at every visit; {ketamine}",
            keys,
        )
    return _Rule(
        _UNMET,
        "current substance use disorder or active dependence (ICD-10 F10-F19 .2x, not "
        "nicotine): a clinician's substance-use review is needed before entry (urine "
        f"toxicology; can the patient abstain on treatment days?); {ketamine}",
        keys,
    )


# The clearance items a condition's rule reads, beyond the protocol's required work-up.
CONDITION_CLEARANCE: dict[HistoryItem, ClearanceItem] = {
    HistoryItem.LUTS_OR_CYSTITIS: ClearanceItem.LUTS_SCREEN,
    HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT: ClearanceItem.SUBSTANCE_USE_REVIEW,
}


def clearance_read_by_conditions(
    diagnoses: Iterable[str], history: Iterable[HistoryItem]
) -> frozenset[ClearanceItem]:
    """The condition-specific clearance items (a LUTS screen, a substance-use review) that
    change a finding for this patient. Apps add them to the facts only then, so routine
    screens and reviews recorded during a course do not make every signed eligibility
    review out of date."""
    present = conditions_of(diagnoses, history)
    return frozenset(c for item, c in CONDITION_CLEARANCE.items() if item in present)


def history_findings(facts: PatientFacts, criteria: EligibilityCriteria) -> list[Finding]:
    """One finding per condition present (from history or diagnoses), in `HistoryItem` order;
    a condition is left out when a more serious form of it is present."""
    present = conditions(facts)
    findings = []
    for item, ways in present.items():
        if any(other in present for other in SUPERSEDED_BY.get(item, ())):
            continue
        entry = HISTORY_RULES[item]
        rule = entry if isinstance(entry, _Rule) else entry(facts, criteria)
        used = (*ways, "clearance_done") if item in CONDITION_CLEARANCE else ways
        findings.append(
            Finding(
                rule.kind,
                f"{PREFIX[rule.kind]}.{item.value}",
                rule.message,
                used,
                cite(*rule.keys),
                rule.needs_local_signoff,
            )
        )
    return findings
