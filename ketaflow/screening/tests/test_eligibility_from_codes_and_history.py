"""The chart's diagnosis codes and history items reach the core's rules: psychotic disorders,
current mania and ketamine/PCP misuse exclude on the page and the API, active dependence needs
review, LUTS asks for (or finds) a baseline LUTS screen, liver disease by Child-Pugh class."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from ketaflow.clinical.eligibility import ClearanceItem
from ketaflow.clinical.long_term_safety import LUTS_KEYS
from ketaflow.clinical.protocols import builtin
from ketaflow.patients.services import add_entry, mark_entered_in_error
from ketaflow.safety.services import record_luts_screen, record_review
from ketaflow.screening.derive import chart_facts
from ketaflow.screening.selectors import eligibility_gate
from ketaflow.screening.services import open_review, sign_review

pytestmark = pytest.mark.django_db
NO_SYMPTOMS = dict.fromkeys(LUTS_KEYS, False)


def codes(review):
    return [f["code"] for f in review.findings]


def a_code(actor, patient, code):
    return add_entry(actor, patient, "diagnoses", {"code": "other", "other_code": code})


def a_history(actor, patient, condition, presence="current"):
    return add_entry(actor, patient, "history", {"condition": condition, "presence": presence})


@pytest.mark.parametrize(
    ("code", "exclusion"),
    [
        ("F20.0", "exclusion.psychosis_current"),
        ("F29", "exclusion.psychosis_current"),
        ("F31.1", "exclusion.mania_current"),
        ("F31.2", "exclusion.mania_current"),
        ("F16.20", "exclusion.ketamine_pcp_misuse"),
    ],
)
def test_a_chart_with_an_excluding_code_is_suggested_not_eligible(
    eligible_patient, prescriber, nurse, code, exclusion
):
    a_code(prescriber, eligible_patient, code)
    review = open_review(nurse, eligible_patient)
    finding = next(f for f in review.findings if f["code"] == exclusion)
    assert finding["facts"] == ["diagnoses"]
    assert review.suggested_outcome == "not_eligible"


def test_drug_dependence_f19_20_needs_review_and_urine_toxicology(
    eligible_patient, prescriber, nurse
):
    a_code(prescriber, eligible_patient, "F19.20")
    review = open_review(nurse, eligible_patient)
    assert codes(review) == [
        "requirement.substance_use_disorder_current",
        "requirement.clearance_missing.urine_toxicology",
    ]
    assert review.suggested_outcome == "needs_review"


@pytest.mark.parametrize(
    ("condition", "code", "finding"),
    [
        ("psychosis", "F20.0", "exclusion.psychosis_current"),
        ("mania", "F31.1", "exclusion.mania_current"),
        ("ketamine_misuse", "F16.20", "exclusion.ketamine_pcp_misuse"),
        ("substance_use_disorder", "F19.20", "requirement.substance_use_disorder_current"),
    ],
)
def test_the_current_history_item_and_the_code_give_the_same_finding(
    eligible_patient, prescriber, nurse, condition, code, finding
):
    item = a_history(nurse, eligible_patient, condition)
    by_history = next(
        f for f in open_review(nurse, eligible_patient).findings if f["code"] == finding
    )
    mark_entered_in_error(nurse, item, "recorded as a diagnosis instead")
    a_code(prescriber, eligible_patient, code)
    by_code = next(f for f in open_review(nurse, eligible_patient).findings if f["code"] == finding)
    for key in ("kind", "message", "sources"):
        assert by_history[key] == by_code[key]
    assert "history" in by_history["facts"] and "diagnoses" not in by_history["facts"]
    assert "diagnoses" in by_code["facts"] and "history" not in by_code["facts"]


def test_past_ketamine_misuse_still_excludes_and_past_mania_is_a_caution(eligible_patient, nurse):
    a_history(nurse, eligible_patient, "mania", presence="past")
    assert codes(open_review(nurse, eligible_patient)) == ["caution.mania"]
    a_history(nurse, eligible_patient, "ketamine_misuse", presence="past")
    review = open_review(nurse, eligible_patient)
    assert "exclusion.ketamine_pcp_misuse" in codes(review)
    assert review.suggested_outcome == "not_eligible"


def test_the_luts_history_item_is_no_longer_dropped_and_asks_for_a_baseline_screen(
    eligible_patient, nurse
):
    a_history(nurse, eligible_patient, "urinary_tract", presence="past")
    review = open_review(nurse, eligible_patient)
    (finding,) = review.findings
    assert finding["code"] == "caution.luts_or_cystitis"
    assert "baseline LUTS screen is needed" in finding["message"]
    assert review.suggested_outcome == "eligible_with_cautions"


def test_a_baseline_luts_screen_on_record_is_named(eligible_patient, nurse):
    a_history(nurse, eligible_patient, "urinary_tract")
    record_luts_screen(
        nurse, eligible_patient, screened_on=timezone.localdate(), answers=NO_SYMPTOMS
    )
    review = open_review(nurse, eligible_patient)
    (finding,) = review.findings
    assert "baseline LUTS screen is on record" in finding["message"]
    assert review.facts["clearance_done"].count("luts_screen") == 1


def test_a_luts_screen_during_a_course_does_not_make_a_signed_review_stale(
    eligible_patient, nurse, prescriber
):
    """Only the LUTS rule reads the screen: for everyone else it is not an eligibility fact."""
    sign_review(prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="ok")
    record_luts_screen(
        nurse, eligible_patient, screened_on=timezone.localdate(), answers=NO_SYMPTOMS
    )
    facts = chart_facts(eligible_patient, timezone.now(), builtin("iv-racemic")).facts
    assert ClearanceItem.LUTS_SCREEN not in facts.clearance_done
    assert eligibility_gate(eligible_patient) == (True, [])


def test_a_luts_screen_after_the_assessment_moment_is_not_a_baseline(eligible_patient, nurse):
    a_history(nurse, eligible_patient, "urinary_tract")
    record_luts_screen(
        nurse, eligible_patient, screened_on=timezone.localdate(), answers=NO_SYMPTOMS
    )
    yesterday = timezone.now() - timedelta(days=1)
    facts = chart_facts(eligible_patient, yesterday, builtin("iv-racemic")).facts
    assert ClearanceItem.LUTS_SCREEN not in facts.clearance_done


@pytest.mark.parametrize(
    ("condition", "protocol", "code", "outcome"),
    [
        ("liver_disease", "iv-racemic", "requirement.liver_disease", "needs_review"),
        (
            "liver_disease_child_pugh_a",
            "iv-racemic",
            "caution.liver_disease_child_pugh_a",
            "eligible_with_cautions",
        ),
        (
            "liver_disease_child_pugh_b",
            "iv-racemic",
            "caution.liver_disease_child_pugh_b",
            "eligible_with_cautions",
        ),
        (
            "liver_disease_child_pugh_c",
            "iv-racemic",
            "exclusion.liver_disease_child_pugh_c",
            "not_eligible",
        ),
    ],
)
def test_liver_disease_is_judged_by_its_recorded_child_pugh_class(
    eligible_patient, nurse, condition, protocol, code, outcome
):
    a_history(nurse, eligible_patient, condition)
    review = open_review(nurse, eligible_patient, protocol=protocol)
    assert codes(review) == [code]
    assert review.suggested_outcome == outcome
    assert review.criteria["severe_hepatic_impairment_excludes_racemic"] is True


def test_the_page_shows_the_exclusion_from_a_diagnosis_code(
    client, login, eligible_patient, prescriber, nurse
):
    a_code(prescriber, eligible_patient, "F20.0")
    open_review(nurse, eligible_patient)
    login(client, nurse)
    html = client.get(f"/screening/patients/{eligible_patient.pk}/").content.decode()
    assert "psychotic disorder (ICD-10 F20-F29)" in html
    assert "Not eligible" in html or "not eligible" in html


def test_the_api_opens_a_review_with_the_same_exclusion_as_the_page(
    client, login, eligible_patient, prescriber, nurse
):
    a_code(prescriber, eligible_patient, "F29")
    login(client, nurse)
    response = client.post(
        f"/api/v1/screening/patients/{eligible_patient.pk}/reviews",
        data=json.dumps({}),
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    body = response.json()
    assert body["suggested_outcome"] == "not_eligible"
    assert "exclusion.psychosis_current" in [f["code"] for f in body["findings"]]


def test_a_review_signed_before_the_code_was_added_is_stale_and_blocks(
    eligible_patient, prescriber, nurse
):
    sign_review(prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="ok")
    a_code(prescriber, eligible_patient, "F31.2")
    ok, reasons = eligibility_gate(eligible_patient)
    assert ok is False
    assert "diagnosis added: F31.2" in " ".join(reasons)


def test_a_substance_use_review_resolves_the_review_need_unless_it_refers(
    eligible_patient, prescriber, nurse
):
    a_code(prescriber, eligible_patient, "F10.20")
    today = timezone.localdate()
    record_review(
        prescriber, eligible_patient, kind="substance_use", reviewed_on=today, outcome="no_concern"
    )
    review = open_review(nurse, eligible_patient)
    assert "caution.substance_use_disorder_current" in codes(review)
    assert review.facts["clearance_done"].count("substance_use_review") == 1
    record_review(
        prescriber,
        eligible_patient,
        kind="substance_use",
        reviewed_on=today,
        outcome="concern_refer",
        notes="drinking daily again",
    )
    again = open_review(nurse, eligible_patient)
    assert "requirement.substance_use_disorder_current" in codes(again)
    assert again.suggested_outcome == "needs_review"


def test_a_routine_substance_use_review_does_not_make_a_signed_review_stale(
    eligible_patient, nurse, prescriber
):
    sign_review(prescriber, open_review(nurse, eligible_patient), decision="eligible", reason="ok")
    record_review(
        prescriber,
        eligible_patient,
        kind="substance_use",
        reviewed_on=timezone.localdate(),
        outcome="no_concern",
    )
    assert eligibility_gate(eligible_patient) == (True, [])
