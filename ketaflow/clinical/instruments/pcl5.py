"""PCL-5, the PTSD Checklist for DSM-5: free self-report, held with its published wording.

Developed by the VA National Center for PTSD and "not copyrighted" [S40e], so patients may
complete it electronically. 20 items rated 0-4 over the past month, total 0-80, in the four
DSM-5 clusters B (1-5), C (6-7), D (8-14), E (15-20). There are no empirically derived
severity bands, so a score has no severity label; change is judged in points (5 reliable,
10 clinically meaningful), not in percent. No LOINC codes are recorded in the reference.
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaflow.clinical.evidence import Evidence, cite, default
from ketaflow.clinical.instruments.base import (
    AnswerOption,
    Cutoff,
    Flag,
    FlagCode,
    FlagKind,
    ItemInstrument,
    Licence,
    PointChange,
    Rater,
    Subscale,
    frequency_items,
)
from ketaflow.clinical.response import ResponseCriteria

PCL5_OPTIONS = (
    AnswerOption(0, "Not at all"),
    AnswerOption(1, "A little bit"),
    AnswerOption(2, "Moderately"),
    AnswerOption(3, "Quite a bit"),
    AnswerOption(4, "Extremely"),
)

PCL5_STEM = (
    "Below is a list of problems that people sometimes have in response to a very stressful "
    "experience. Please read each problem carefully and then indicate how much you have been "
    "bothered by that problem in the past month. In the past month, how much were you "
    "bothered by:"
)

PCL5_TEXTS = (
    "Repeated, disturbing, and unwanted memories of the stressful experience?",
    "Repeated, disturbing dreams of the stressful experience?",
    "Suddenly feeling or acting as if the stressful experience were actually happening again "
    "(as if you were actually back there reliving it)?",
    "Feeling very upset when something reminded you of the stressful experience?",
    "Having strong physical reactions when something reminded you of the stressful experience "
    "(for example, heart pounding, trouble breathing, sweating)?",
    "Avoiding memories, thoughts, or feelings related to the stressful experience?",
    "Avoiding external reminders of the stressful experience (for example, people, places, "
    "conversations, activities, objects, or situations)?",
    "Trouble remembering important parts of the stressful experience?",
    "Having strong negative beliefs about yourself, other people, or the world (for example, "
    "having thoughts such as: I am bad, there is something seriously wrong with me, no one can "
    "be trusted, the world is completely dangerous)?",
    "Blaming yourself or someone else for the stressful experience or what happened after it?",
    "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
    "Loss of interest in activities that you used to enjoy?",
    "Feeling distant or cut off from other people?",
    "Trouble experiencing positive feelings (for example, being unable to feel happiness or "
    "have loving feelings for people close to you)?",
    "Irritable behavior, angry outbursts, or acting aggressively?",
    "Taking too many risks or doing things that could cause you harm?",
    'Being "superalert" or watchful or on guard?',
    "Feeling jumpy or easily startled?",
    "Having difficulty concentrating?",
    "Trouble falling or staying asleep?",
)
PCL5_LABELS = (
    "intrusive memories",
    "disturbing dreams",
    "flashbacks",
    "upset at reminders",
    "physical reactions to reminders",
    "avoiding memories and feelings",
    "avoiding external reminders",
    "trouble remembering",
    "negative beliefs",
    "blame",
    "strong negative feelings",
    "loss of interest",
    "feeling distant",
    "trouble with positive feelings",
    "irritability or aggression",
    "risk taking",
    "hypervigilance",
    "easily startled",
    "difficulty concentrating",
    "sleep problems",
)

CLUSTERS = (
    Subscale("cluster_b", "B intrusion", (1, 2, 3, 4, 5)),
    Subscale("cluster_c", "C avoidance", (6, 7)),
    Subscale("cluster_d", "D negative alterations in cognition and mood", tuple(range(8, 15))),
    Subscale("cluster_e", "E alterations in arousal and reactivity", tuple(range(15, 21))),
)
# DSM-5 rule: an item rated >= 2 ("moderately") counts as endorsed; at least this many per
# cluster [S40e].
ENDORSED_AT = 2
DSM5_MINIMUM_PER_CLUSTER = {"cluster_b": 1, "cluster_c": 1, "cluster_d": 2, "cluster_e": 2}


def meets_dsm5_rule(answers: Mapping[int, int]) -> bool:
    """>= 1 B, >= 1 C, >= 2 D and >= 2 E items rated 2 or more [S40e]."""
    return all(
        sum(1 for n in cluster.items if answers[n] >= ENDORSED_AT)
        >= DSM5_MINIMUM_PER_CLUSTER[cluster.key]
        for cluster in CLUSTERS
    )


def _provisional_ptsd_rule(
    answers: Mapping[int, int], total: int, cutoffs: Mapping[str, int]
) -> tuple[Flag, ...]:
    """Provisional PTSD by total cut-off or by the DSM-5 cluster rule: a screen, not a diagnosis."""
    reasons = []
    if total >= cutoffs["provisional_ptsd"]:
        reasons.append(f"total {total} >= cut-off {cutoffs['provisional_ptsd']}")
    if meets_dsm5_rule(answers):
        reasons.append("DSM-5 cluster rule met (items rated >= 2: >= 1 B, >= 1 C, >= 2 D, >= 2 E)")
    if not reasons:
        return ()
    return (
        Flag(
            FlagCode.PCL5_PROVISIONAL_PTSD,
            FlagKind.CLINICAL,
            "Provisional PTSD on the PCL-5 (" + "; ".join(reasons) + "): confirm with a "
            "clinical interview.",
            cite("S40"),
        ),
    )


PCL5_RELIABLE = default(5, "S40", note="5 points = minimum reliable response.")
PCL5_MEANINGFUL = default(10, "S40", note="10 points = clinically meaningful change.")
# Response on the PCL-5 is a fall of at least the clinically meaningful change (10 points,
# clinical reference 2.5, S40e). The anchor is read from secondary pages, and using it as
# *the* response definition of a ketamine course is a local choice: needs sign-off.
PCL5_RESPONSE_POINTS = default(
    PCL5_MEANINGFUL.value,
    "S40",
    evidence=Evidence.UNVERIFIED,
    note="A drop of >= 10 points (the clinically meaningful change, S40e; secondary pages) "
    "as the response definition is a local choice. No remission definition (no severity "
    "bands).",
)

PCL5 = ItemInstrument(
    code="pcl5",
    name="PCL-5",
    full_name="PTSD Checklist for DSM-5",
    rater=Rater.SELF,
    recall_period="past month",
    licence=Licence.FREE,
    sources=cite("S40"),
    stem=PCL5_STEM,
    answer_options=PCL5_OPTIONS,
    items=frequency_items(PCL5_TEXTS, PCL5_LABELS, (None,) * 20, 4, PCL5_OPTIONS),
    subscales=CLUSTERS,
    point_change=PointChange(reliable=PCL5_RELIABLE, meaningful=PCL5_MEANINGFUL),
    response=ResponseCriteria(
        response_min_improvement_pct=None,
        response_min_points=PCL5_RESPONSE_POINTS,
        remission_at_or_below=None,
    ),
    cutoffs=(
        Cutoff(
            "provisional_ptsd",
            "total at or above which PTSD is provisionally screened positive",
            default(
                33,
                "S40",
                note="Published cut-offs range 31-33; choose locally within that range.",
            ),
        ),
    ),
    flag_rules=(_provisional_ptsd_rule,),
    notes="Developed by the VA National Center for PTSD; not copyrighted. No severity bands.",
)
