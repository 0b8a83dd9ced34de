"""A recorded pregnancy test settles the pregnancy status eligibility reads (derive's
`chart_facts`, the one place rows become facts), so screening does not ask again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketaflow.clinical.eligibility import PregnancyStatus, SuggestedOutcome
from ketaflow.clinical.protocols import builtin
from ketaflow.patients.services import add_entry
from ketaflow.screening.derive import chart_facts
from ketaflow.screening.services import open_review, record_observation

pytestmark = pytest.mark.django_db
IV = builtin("iv-racemic")


def a_test(nurse, patient, result, *, hours_ago=0):
    return record_observation(
        nurse,
        patient,
        kind="pregnancy_test",
        observed_at=timezone.now() - timedelta(hours=hours_ago),
        result=result,
    )


def status(patient):
    return chart_facts(patient, timezone.now(), IV).facts.pregnancy


@pytest.fixture
def no_pregnancy_record(eligible_patient, nurse):
    """The eligible patient with her pregnancy record and test withdrawn (entered in error)."""
    from ketaflow.patients.models import PregnancyRecord
    from ketaflow.patients.services import mark_entered_in_error
    from ketaflow.screening.models import ScreeningObservation
    from ketaflow.screening.services import mark_observation_entered_in_error

    for record in PregnancyRecord.objects.filter(patient=eligible_patient):
        mark_entered_in_error(nurse, record, "wrong patient")
    for test in ScreeningObservation.objects.filter(
        patient=eligible_patient, kind="pregnancy_test"
    ):
        mark_observation_entered_in_error(nurse, test, "wrong patient")
    return eligible_patient


def test_a_negative_test_settles_an_unknown_status_and_the_review_becomes_eligible(
    patient, nurse, prescriber
):
    assert status(patient) is PregnancyStatus.UNKNOWN
    a_test(nurse, patient, "negative")
    facts = chart_facts(patient, timezone.now(), IV)
    assert facts.facts.pregnancy is PregnancyStatus.NOT_PREGNANT
    assert "negative_test_at" in facts.provenance["pregnancy"]


def test_the_eligibility_result_changes_when_the_test_is_recorded(no_pregnancy_record, nurse):
    patient = no_pregnancy_record
    earlier = timezone.now()
    before = open_review(nurse, patient, protocol="iv-racemic")
    assert before.facts["pregnancy"] == "unknown"
    assert "caution.pregnancy_status_unknown" in [f["code"] for f in before.findings]
    a_test(nurse, patient, "negative")
    after = open_review(nurse, patient, protocol="iv-racemic")
    assert after.facts["pregnancy"] == "not_pregnant"
    assert after.suggested_outcome == SuggestedOutcome.ELIGIBLE.value
    assert before.suggested_outcome != after.suggested_outcome
    assert earlier < after.facts_at


def test_a_negative_test_does_not_override_a_recorded_pregnancy_or_breast_feeding(patient, nurse):
    for recorded in ("pregnant", "breastfeeding"):
        add_entry(
            nurse,
            patient,
            "pregnancy",
            {"observed_on": timezone.localdate(), "pregnancy_status": recorded},
        )
        a_test(nurse, patient, "negative")
        assert status(patient) is PregnancyStatus(recorded)


def test_an_older_negative_test_does_not_settle_a_newer_unknown_record(patient, nurse):
    a_test(nurse, patient, "negative", hours_ago=72)
    add_entry(
        nurse,
        patient,
        "pregnancy",
        {"observed_on": timezone.localdate(), "pregnancy_status": "unknown"},
    )
    assert status(patient) is PregnancyStatus.UNKNOWN


def test_a_negative_test_in_the_chart_record_settles_it_too(patient, nurse):
    add_entry(
        nurse,
        patient,
        "pregnancy",
        {
            "observed_on": timezone.localdate(),
            "pregnancy_status": "unknown",
            "test_done": True,
            "test_positive": False,
        },
    )
    assert status(patient) is PregnancyStatus.NOT_PREGNANT


def test_a_test_for_someone_who_cannot_become_pregnant_changes_nothing(patient, nurse):
    patient.can_become_pregnant = False
    patient.save()
    a_test(nurse, patient, "negative")
    assert status(patient) is PregnancyStatus.NOT_APPLICABLE


def test_planning_a_pregnancy_stays_in_the_history_after_a_negative_test(patient, nurse):
    from ketaflow.clinical.eligibility import HistoryItem

    add_entry(
        nurse,
        patient,
        "pregnancy",
        {"observed_on": timezone.localdate(), "pregnancy_status": "planning"},
    )
    a_test(nurse, patient, "negative")
    facts = chart_facts(patient, timezone.now(), IV).facts
    assert facts.pregnancy is PregnancyStatus.NOT_PREGNANT
    assert HistoryItem.PLANNING_PREGNANCY in facts.history


def test_a_stale_negative_test_does_not_answer_for_today(patient, nurse, clock):
    """Only a test from the last `negative_pregnancy_test_settles_days` (7, UNVERIFIED) counts."""
    from ketaflow.clinical.eligibility import DEFAULT_CRITERIA

    days = DEFAULT_CRITERIA.negative_pregnancy_test_settles_days.value
    a_test(nurse, patient, "negative", hours_ago=24 * days - 1)
    assert status(patient) is PregnancyStatus.NOT_PREGNANT
    clock(timezone.now() + timedelta(days=2))
    assert status(patient) is PregnancyStatus.UNKNOWN


def test_a_stale_negative_test_in_the_chart_record_does_not_either(patient, nurse, clock):
    add_entry(
        nurse,
        patient,
        "pregnancy",
        {
            "observed_on": timezone.localdate() - timedelta(days=30),
            "pregnancy_status": "unknown",
            "test_done": True,
            "test_positive": False,
        },
    )
    assert status(patient) is PregnancyStatus.UNKNOWN
