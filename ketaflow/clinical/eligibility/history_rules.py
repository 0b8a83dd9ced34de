"""Medical and psychiatric history: which items exclude and which call for caution.

Exclusions follow the labels: SPRAVATO contraindications (aneurysmal vascular disease or AVM,
intracerebral haemorrhage, hypersensitivity) [S1]; ketamine labels (patients in whom a rise in
BP is a serious hazard, stroke, severe cardiac disease, pre-eclampsia, cerebral trauma,
raised CSF pressure, uncontrolled hyperthyroidism) [S4]; and the NHS Oxford service's
exclusions of current psychosis, raised intracranial pressure and planned pregnancy [S37
(S37b)], with the Glue programme's exclusion of intended pregnancy [S11]. Items the sources
treat as relative (past psychosis, substance use, glaucoma, epilepsy...) are cautions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaflow.clinical.eligibility.facts import HistoryItem, PatientFacts
from ketaflow.clinical.eligibility.findings import Finding, FindingKind
from ketaflow.clinical.evidence import cite

_EXC = FindingKind.EXCLUSION
_CAU = FindingKind.CAUTION


@dataclass(frozen=True)
class _Rule:
    kind: FindingKind
    message: str
    keys: tuple[str, ...]


HISTORY_RULES: dict[HistoryItem, _Rule] = {
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
        "current or recent psychosis: ketamine can worsen positive psychotic symptoms",
        ("S37", "S1", "S47"),
    ),
    HistoryItem.PLANNING_PREGNANCY: _Rule(
        _EXC,
        "planning a pregnancy (including IVF): excluded by the anxiety trials and NHS service",
        ("S11", "S37", "S1"),
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
        _CAU,
        "liver disease: recurrent ketamine is linked to hepatobiliary injury; baseline and "
        "periodic liver function tests",
        ("S4", "S32"),
    ),
    HistoryItem.SLEEP_APNOEA: _Rule(
        _CAU,
        "sleep apnoea: respiratory depression risk; monitor respiration and SpO2",
        ("S37", "S4"),
    ),
}


def history_findings(facts: PatientFacts) -> list[Finding]:
    """One finding per history item present, in the order of `HistoryItem`."""
    findings = []
    for item in HistoryItem:
        if item in facts.history:
            rule = HISTORY_RULES[item]
            findings.append(
                Finding(
                    rule.kind,
                    f"{rule.kind.value}.{item.value}",
                    rule.message,
                    ("history",),
                    cite(*rule.keys),
                )
            )
    return findings
