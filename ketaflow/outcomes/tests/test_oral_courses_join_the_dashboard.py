"""An oral course is summarised like any other: its row carries the oral route and protocol,
and the dashboard offers and groups it by route (issue #16)."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.outcomes.models import CourseOutcome
from ketaflow.outcomes.selectors import DashboardFilters, dashboard_data, dashboard_options
from ketaflow.outcomes.services import refresh_course_outcome
from ketaflow.outcomes.tests.conftest import course_with

pytestmark = pytest.mark.django_db


def test_an_oral_course_is_a_row_and_a_route_of_the_dashboard(
    prescriber: Any, nurse: Any, patient: Any, protocols: dict[str, Any], chair: Any, clinic: Any
) -> None:
    course = course_with(
        prescriber,
        nurse,
        patient,
        protocols["oral-racemic-titration"],
        chair,
        (18, 15, 9),
        follow_up=(6,),
        signed=False,
    )
    refresh_course_outcome(course.pk)
    row = CourseOutcome.objects.get(course=course)
    assert (row.route, row.protocol_code) == ("oral", "oral-racemic-titration")
    assert row.state == "responder"
    assert "oral" in dashboard_options(clinic.pk)["route"]
    d = dashboard_data(clinic.pk, DashboardFilters(route="oral"), deidentified=False)
    assert d.courses == 1
    assert [g.group for g in d.by_route] == ["oral"]
