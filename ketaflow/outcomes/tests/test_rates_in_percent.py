"""Rates read in one unit: a percentage with its interval in percent, never proportions.

"75.0% (95% CI 0.409–0.929)" mixed two scales; a reader could take the interval for 0.4% to
0.9%. The JSON API keeps proportions (for computation) under names that say so.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from ketaflow.outcomes.tests.conftest import course_with, outcome_rows

pytestmark = pytest.mark.django_db

RESPONDER = {"first_response_on": date(2026, 1, 20), "days_to_response": 14, "response_event": True}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.fixture
def six_of_eight(clinic, front_desk, protocols):
    specs = [dict(RESPONDER) for _ in range(6)]
    specs += [{"days_to_response": 30, "response_event": False} for _ in range(2)]
    return outcome_rows(clinic, front_desk, protocols["iv-racemic"], specs)


def test_the_dashboard_shows_the_wilson_interval_in_percent(client, login, nurse, six_of_eight):
    login(client, nurse)
    text = _text(client.get("/outcomes/").content.decode())
    assert "75.0% (95% CI 40.9–92.9%; 6/8)" in text  # headline and the group table
    assert "0.409" not in text and "0.929" not in text


def test_the_api_keeps_proportions_under_names_that_say_so(client, login, nurse, six_of_eight):
    login(client, nurse)
    response = client.get("/api/v1/outcomes/dashboard").json()["response"]
    assert response["proportion"] == pytest.approx(0.75)
    assert response["ci_low_proportion"] == pytest.approx(0.40928, abs=1e-5)
    assert response["ci_high_proportion"] == pytest.approx(0.92852, abs=1e-5)
    assert response["confidence"] == 0.95 and response["method"] == "wilson"
    assert (response["low"], response["high"]) == (  # the v1 names, kept for clients
        response["ci_low_proportion"],
        response["ci_high_proportion"],
    )


def test_the_literature_base_rates_on_the_patient_page_are_in_percent(
    client, login, nurse, patient, prescriber, protocols, chair
):
    course_with(prescriber, nurse, patient, protocols["iv-racemic"], chair, (18, 15, 12))
    login(client, nurse)
    text = _text(client.get(f"/outcomes/patient/{patient.pk}/").content.decode())
    assert "10/12 = 83% (95% CI 55–95%)" in text  # Glue 2017 (S8)


def test_the_time_to_response_chart_is_labelled_as_the_share_responded(
    client, login, nurse, six_of_eight
):
    # The line is 1 - S (the share responded): the curve's own label would read backwards.
    login(client, nurse)
    html = client.get("/outcomes/").content.decode()
    assert "Responded (cumulative, Kaplan-Meier)" in html
    assert "Not yet responded" not in html
