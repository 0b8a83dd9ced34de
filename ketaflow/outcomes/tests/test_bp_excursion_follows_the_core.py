"""A session's BP excursion is the core's rule, applied in SQL from the core's levels."""

from __future__ import annotations

import dataclasses

import pytest

from ketaflow.clinical.evidence import default
from ketaflow.clinical.monitoring import DEFAULT_THRESHOLDS, VitalSigns, is_bp_excursion
from ketaflow.outcomes import services
from ketaflow.outcomes.models import CourseOutcome
from ketaflow.outcomes.services import bp_excursion_q, refresh_course_outcome
from ketaflow.outcomes.tests.conftest import course_with
from ketaflow.treatments.models import VitalsReading

pytestmark = pytest.mark.django_db

#: Each side of each level: 179/109 is inside, 180 or 110 is an excursion.
PRESSURES = ((179, 109), (180, 80), (150, 110), (124, 80), (175, 95), (200, 120))
LOWER = dataclasses.replace(
    DEFAULT_THRESHOLDS,
    session_sbp_at_or_above=default(170.0, "S1"),
    session_dbp_at_or_above=default(95.0, "S1"),
)


@pytest.fixture
def course(prescriber, nurse, patient, protocols, chair):
    course = course_with(
        prescriber, nurse, patient, protocols["iv-racemic"], chair, (18, 15, 12, 9, 8, 7)
    )
    readings = VitalsReading.objects.filter(session__course=course).order_by("taken_at")
    for row, (sbp, dbp) in zip(readings, PRESSURES, strict=True):
        VitalsReading.objects.filter(pk=row.pk).update(sbp=sbp, dbp=dbp)
    return course


@pytest.mark.parametrize("thresholds", [DEFAULT_THRESHOLDS, LOWER], ids=["default", "lower"])
def test_the_query_picks_exactly_the_readings_the_core_calls_an_excursion(course, thresholds):
    rows = VitalsReading.objects.filter(session__course=course)
    picked = set(rows.filter(bp_excursion_q(thresholds)).values_list("pk", flat=True))
    expected = {r.pk for r in rows if is_bp_excursion(VitalSigns(sbp=r.sbp, dbp=r.dbp), thresholds)}
    assert picked == expected
    assert expected  # the data straddles the levels either way


def test_changing_a_threshold_changes_the_summary(course, monkeypatch):
    refresh_course_outcome(course.pk)
    assert CourseOutcome.objects.get(course=course).sessions_with_bp_excursion == 3
    monkeypatch.setattr(services, "DEFAULT_THRESHOLDS", LOWER)
    refresh_course_outcome(course.pk)
    assert CourseOutcome.objects.get(course=course).sessions_with_bp_excursion == 5
