"""The dashboard's numbers from hand-built summary rows: rates, KM, filters, suppression."""

from __future__ import annotations

from datetime import date

import pytest

from ketaflow.outcomes.selectors import DashboardFilters, dashboard_data
from ketaflow.outcomes.tests.conftest import outcome_rows

pytestmark = pytest.mark.django_db

RESPONDER = {"first_response_on": date(2026, 1, 20), "days_to_response": 14, "response_event": True}


@pytest.fixture
def version(protocols):
    return protocols["iv-racemic"]


def test_response_and_remission_rates_with_wilson_intervals(clinic, front_desk, version):
    # 20 assessed courses: 7 responders (3 of them remitters) -> 7/20, 3/20; 2 unassessed.
    specs = [dict(RESPONDER) for _ in range(7)]
    for spec in specs[:3]:
        spec["first_remission_on"] = date(2026, 1, 27)
    specs += [{"days_to_response": 30, "response_event": False} for _ in range(13)]
    specs += [{"assessments": 0} for _ in range(2)]
    outcome_rows(clinic, front_desk, version, specs)
    d = dashboard_data(clinic.pk, DashboardFilters(), deidentified=False)
    assert d.courses == 22 and d.assessed == 20
    r = d.response.proportion
    assert (r.k, r.n) == (7, 20)
    assert r.low == pytest.approx(0.18119, abs=1e-5) and r.high == pytest.approx(0.56715, abs=1e-5)
    assert (d.remission.proportion.k, d.remission.proportion.n) == (3, 20)


def test_time_to_response_is_kaplan_meier_over_grouped_rows(clinic, front_desk, version):
    # The six-patient cohort: events at 1, 3, 3, 6; censored at 2 and 5 -> median 3.
    specs = [
        {"days_to_response": d, "response_event": e}
        for d, e in [(1, True), (2, False), (3, True), (3, True), (5, False), (6, True)]
    ]
    outcome_rows(clinic, front_desk, version, specs)
    km = dashboard_data(clinic.pk, DashboardFilters(), False).time_to_response.km
    assert km.median_days == 3 and km.n == 6 and km.events == 4
    assert km.survival_at(3) == pytest.approx(5 / 12)


def test_relapse_free_durability_among_responders(clinic, front_desk, version):
    specs = [
        {**RESPONDER, "days_relapse_free": d, "relapse_event": e}
        for d, e in [(10, True), (20, False), (30, True), (40, False)]
    ]
    outcome_rows(clinic, front_desk, version, specs)
    km = dashboard_data(clinic.pk, DashboardFilters(), False).relapse_free.km
    # t=10: 4 at risk -> 3/4; t=30: 2 at risk -> 3/4 * 1/2 = 3/8
    assert km.survival_at(10) == pytest.approx(0.75) and km.survival_at(30) == pytest.approx(0.375)
    assert km.median_days == 30


def test_adverse_event_and_bp_rates_are_per_signed_session(clinic, front_desk, version):
    specs = [
        {"signed_sessions": 10, "sessions_with_adverse_events": 3, "sessions_with_bp_excursion": 1},
        {"signed_sessions": 10, "sessions_with_adverse_events": 4},
    ]
    outcome_rows(clinic, front_desk, version, specs)
    d = dashboard_data(clinic.pk, DashboardFilters(), False)
    assert (d.adverse_events.proportion.k, d.adverse_events.proportion.n) == (7, 20)
    assert (d.bp_excursions.proportion.k, d.bp_excursions.proportion.n) == (1, 20)


def test_filters_narrow_every_number(clinic, front_desk, version):
    other = {"route": "sc", "diagnosis_group": "F40", "started_on": date(2025, 6, 1)}
    outcome_rows(clinic, front_desk, version, [dict(RESPONDER), other])
    assert dashboard_data(clinic.pk, DashboardFilters(route="sc"), False).courses == 1
    assert dashboard_data(clinic.pk, DashboardFilters(diagnosis_group="F41"), False).courses == 1
    f = DashboardFilters(started_from=date(2026, 1, 1), started_to=date(2026, 12, 31))
    assert dashboard_data(clinic.pk, f, False).response.proportion.k == 1
    assert dashboard_data(clinic.pk, DashboardFilters(protocol_code="none"), False).courses == 0
    opts = dashboard_data(clinic.pk, DashboardFilters(), False).options
    assert opts["route"] == ("iv", "sc") and opts["diagnosis_group"] == ("F40", "F41")


def test_dose_histograms_are_bucketed_in_the_database(clinic, front_desk, version):
    outcome_rows(
        clinic,
        front_desk,
        version,
        [
            {"mean_mg_per_session": 35.0, "mean_mg_per_kg": 0.5},
            {"mean_mg_per_session": 38.0, "mean_mg_per_kg": 0.55},
            {"mean_mg_per_session": 52.0, "mean_mg_per_kg": 0.75},
        ],
    )
    d = dashboard_data(clinic.pk, DashboardFilters(), False)
    assert [(b.low, b.count) for b in d.mg_per_session.bins] == [(30.0, 2), (40.0, 0), (50.0, 1)]
    assert sum(b.count for b in d.mg_per_kg.bins) == 3


def test_deidentified_data_suppresses_small_cells_and_lists_no_patients(
    clinic, front_desk, version
):
    specs = [dict(RESPONDER) for _ in range(3)] + [{} for _ in range(10)]
    outcome_rows(clinic, front_desk, version, specs)
    d = dashboard_data(clinic.pk, DashboardFilters(), deidentified=True)
    assert d.patients == ()
    assert d.response.suppressed and d.response.k_shown == "<5"
    assert d.courses_shown == "13"
    ident = dashboard_data(clinic.pk, DashboardFilters(), deidentified=False)
    assert not ident.response.suppressed and len(ident.patients) == 13
    assert ident.patients[0].mrn.startswith("C-")


def test_another_clinics_rows_never_count(clinic, other_clinic, front_desk, outsider, version):
    outcome_rows(clinic, front_desk, version, [dict(RESPONDER)])
    outcome_rows(other_clinic, outsider, version, [dict(RESPONDER), dict(RESPONDER)])
    assert dashboard_data(clinic.pk, DashboardFilters(), False).courses == 1


def test_the_dashboard_runs_a_fixed_number_of_queries(
    clinic, front_desk, version, django_assert_max_num_queries
):
    outcome_rows(clinic, front_desk, version, [dict(RESPONDER) for _ in range(30)])
    with django_assert_max_num_queries(12):
        dashboard_data(clinic.pk, DashboardFilters(), deidentified=False)
