"""Age, pregnancy, resting blood pressure and comorbid depression.

- Pregnancy: esketamine may cause fetal harm and breast-feeding is advised against [S1];
  ketamine is not recommended in pregnancy [S4]; the anxiety trials excluded pregnancy and
  lactation [S11] and the NHS service pregnancy/breast-feeding [S37].
- BP: resting > 180/100 mmHg is the only numeric contraindication found (Swiss label) [S4];
  > 140/90 is the esketamine label's general guide to consider delaying [S1].
- Age: labels and evidence are adult-only [S1, S6]; at 65 or over BP rises are more frequent
  [S1, S25] and esketamine starts lower [S2].
"""

from __future__ import annotations

from ketaflow.clinical.eligibility.criteria import DEPRESSION_PREFIXES, EligibilityCriteria
from ketaflow.clinical.eligibility.facts import PatientFacts, PregnancyStatus
from ketaflow.clinical.eligibility.findings import Finding, FindingKind
from ketaflow.clinical.evidence import cite


def age_findings(facts: PatientFacts, criteria: EligibilityCriteria) -> list[Finding]:
    minimum, elderly = criteria.minimum_age, criteria.elderly_age
    if facts.age_years < minimum.value:
        return [
            Finding(
                FindingKind.EXCLUSION,
                "exclusion.below_minimum_age",
                f"aged {facts.age_years}: the protocol treats adults from {minimum.value}",
                ("age_years",),
                minimum.sources,
                minimum.needs_local_signoff,
            )
        ]
    if facts.age_years >= elderly.value:
        return [
            Finding(
                FindingKind.CAUTION,
                "caution.elderly",
                f"aged {facts.age_years} (>= {elderly.value}): larger BP rises are more "
                "frequent; esketamine starts at 28 mg",
                ("age_years",),
                elderly.sources,
                elderly.needs_local_signoff,
            )
        ]
    return []


def pregnancy_findings(facts: PatientFacts) -> list[Finding]:
    status = facts.pregnancy
    if status is PregnancyStatus.PREGNANT:
        return [
            Finding(
                FindingKind.EXCLUSION,
                "exclusion.pregnancy",
                "pregnant: ketamine/esketamine may cause fetal harm and is not recommended",
                ("pregnancy",),
                cite("S1", "S4", "S11", "S37"),
            )
        ]
    if status is PregnancyStatus.BREASTFEEDING:
        return [
            Finding(
                FindingKind.EXCLUSION,
                "exclusion.breastfeeding",
                "breast-feeding: advised not to breast-feed during treatment",
                ("pregnancy",),
                cite("S1", "S11", "S37"),
            )
        ]
    if status is PregnancyStatus.UNKNOWN:
        return [
            Finding(
                FindingKind.CAUTION,
                "caution.pregnancy_status_unknown",
                "can become pregnant and pregnancy status is unknown: confirm (test) before "
                "treatment and advise on contraception",
                ("pregnancy",),
                cite("S1", "S39"),
            )
        ]
    return []


def blood_pressure_findings(facts: PatientFacts, criteria: EligibilityCriteria) -> list[Finding]:
    bp = facts.blood_pressure
    if bp is None:
        return [
            Finding(
                FindingKind.UNMET_REQUIREMENT,
                "requirement.baseline_bp_missing",
                "no resting blood pressure recorded: measure it before deciding",
                ("blood_pressure",),
                cite("S1", "S5"),
            )
        ]
    exclusion, caution = criteria.bp_exclusion_above, criteria.bp_caution_above
    if exclusion.value.exceeded_by(bp):
        return [
            Finding(
                FindingKind.EXCLUSION,
                "exclusion.blood_pressure",
                f"resting BP {bp} is above {exclusion.value}: uncontrolled hypertension is a "
                "contraindication; treat the hypertension and re-measure",
                ("blood_pressure",),
                exclusion.sources,
                exclusion.needs_local_signoff,
            )
        ]
    if caution.value.exceeded_by(bp):
        return [
            Finding(
                FindingKind.CAUTION,
                "caution.blood_pressure",
                f"resting BP {bp} is above {caution.value}: weigh delaying treatment, and "
                "monitor BP closely",
                ("blood_pressure",),
                caution.sources,
                caution.needs_local_signoff,
            )
        ]
    return []


def depression_findings(facts: PatientFacts) -> list[Finding]:
    """The anxiety trials enrolled people "not currently depressed" [S8, S9]; depression also
    brings the antidepressant suicidality warning [S1]."""
    codes = [c for c in facts.diagnoses if c.startswith(DEPRESSION_PREFIXES)]
    if not codes:
        return []
    return [
        Finding(
            FindingKind.CAUTION,
            "caution.comorbid_depression",
            f"comorbid depression ({', '.join(codes)}): the anxiety trials enrolled people not "
            "currently depressed; screen suicidality (PHQ-9 item 9, C-SSRS)",
            ("diagnoses",),
            cite("S8", "S9", "S1"),
        )
    ]
