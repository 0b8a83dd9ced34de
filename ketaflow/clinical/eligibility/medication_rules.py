"""Co-medication cautions (reference 1.6): none of these is a labelled contraindication.

CYP interaction data are for oral S-ketamine [S31]; extrapolation to parenteral racemic ketamine
is UNVERIFIED, so the CYP cautions fire only when the planned route is oral.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ketaflow.clinical.eligibility.criteria import EligibilityCriteria
from ketaflow.clinical.eligibility.facts import (
    DrugClass,
    Medication,
    PatientFacts,
    benzodiazepine_load,
)
from ketaflow.clinical.eligibility.findings import Finding, FindingKind
from ketaflow.clinical.evidence import cite
from ketaflow.clinical.routes import Route


@dataclass(frozen=True)
class _Rule:
    code: str
    classes: frozenset[DrugClass]
    message: str
    keys: tuple[str, ...]
    oral_only: bool = False


MEDICATION_RULES: tuple[_Rule, ...] = (
    _Rule(
        "caution.cns_depressant",
        frozenset(
            {
                DrugClass.BENZODIAZEPINE,
                DrugClass.SEDATIVE_HYPNOTIC,
                DrugClass.OPIOID,
                DrugClass.CNS_DEPRESSANT,
            }
        ),
        "CNS depressants (benzodiazepines, sedative-hypnotics, opioids): additive sedation and "
        "respiratory depression; monitor respiratory rate and SpO2",
        ("S1", "S4", "S49"),
    ),
    _Rule(
        "caution.stimulant",
        frozenset({DrugClass.STIMULANT}),
        "psychostimulant: may raise BP further; monitor BP closely",
        ("S1", "S3"),
    ),
    _Rule(
        "caution.maoi",
        frozenset({DrugClass.MAOI}),
        "MAOI: may raise BP further; monitor BP closely (not a contraindication)",
        ("S1", "S3"),
    ),
    _Rule(
        "caution.theophylline",
        frozenset({DrugClass.THEOPHYLLINE}),
        "theophylline/aminophylline: lowers the seizure threshold; extensor-type seizures reported",
        ("S4",),
    ),
    _Rule(
        "caution.thyroid_hormone",
        frozenset({DrugClass.THYROID_HORMONE}),
        "thyroid hormone: higher risk of hypertension and tachycardia",
        ("S4",),
    ),
    _Rule(
        "caution.antihypertensive",
        frozenset({DrugClass.ANTIHYPERTENSIVE}),
        "antihypertensive: risk of hypotension",
        ("S4",),
    ),
    _Rule(
        "caution.cyp3a4_inhibitor_oral",
        frozenset({DrugClass.CYP3A4_INHIBITOR}),
        "CYP3A4 inhibitor with oral ketamine: clarithromycin raised oral S-ketamine Cmax 3.6x "
        "and AUC 2.6x (itraconazole did not); consider a lower dose",
        ("S31",),
        oral_only=True,
    ),
    _Rule(
        "caution.cyp2b6_inhibitor_oral",
        frozenset({DrugClass.CYP2B6_INHIBITOR}),
        "CYP2B6 inhibitor with oral ketamine: ticlopidine raised oral S-ketamine AUC 2.4x; "
        "a dose reduction was suggested",
        ("S31",),
        oral_only=True,
    ),
    _Rule(
        "caution.cyp3a4_inducer_oral",
        frozenset({DrugClass.CYP3A4_INDUCER}),
        "CYP3A4 inducer with oral ketamine: rifampicin cut oral S-ketamine AUC by 86% (IV by "
        "14%); expect a weaker effect",
        ("S31",),
        oral_only=True,
    ),
    _Rule(
        "caution.lamotrigine",
        frozenset({DrugClass.LAMOTRIGINE}),
        "lamotrigine: reduced ketamine's perceptual effects in volunteers; effect on "
        "anxiolysis unknown",
        ("S30",),
    ),
    _Rule(
        "caution.naltrexone",
        frozenset({DrugClass.NALTREXONE}),
        "naltrexone: pretreatment blocked ketamine's antidepressant effect in a small trial",
        ("S29",),
    ),
)


def medication_findings(facts: PatientFacts, criteria: EligibilityCriteria) -> list[Finding]:
    """Cautions for the current medications, each naming the medicines it is about."""
    return medication_cautions(facts.medications, facts.planned_route, criteria)


def medication_cautions(
    medications: Sequence[Medication], planned_route: Route | None, criteria: EligibilityCriteria
) -> list[Finding]:
    """The interaction cautions of a medication list (eligibility's, and the patient banner's).

    `planned_route` None (no course yet): the oral-only CYP cautions are left out, as for any
    route other than oral.
    """
    findings = []
    threshold = criteria.benzodiazepine_caution_above_mg
    load = benzodiazepine_load(medications)
    if load > threshold.value:
        findings.append(
            Finding(
                FindingKind.CAUTION,
                "caution.benzodiazepine_high_dose",
                f"benzodiazepines {load:g} mg diazepam-equivalent/day (> {threshold.value:g}): "
                "higher doses were linked to a weaker ketamine response in depression; "
                "consider reducing before treatment",
                ("medications",),
                threshold.sources,
                threshold.needs_local_signoff,
            )
        )
    for rule in MEDICATION_RULES:
        if rule.oral_only and planned_route is not Route.ORAL:
            continue
        names = [m.name for m in medications if m.classes & rule.classes]
        if names:
            facts_used = ("medications", "planned_route") if rule.oral_only else ("medications",)
            findings.append(
                Finding(
                    FindingKind.CAUTION,
                    rule.code,
                    f"{rule.message} ({', '.join(names)})",
                    facts_used,
                    cite(*rule.keys),
                )
            )
    return findings
