"""Chart entries over the API: add, list, amend with a reason, withdraw, read the history."""

from __future__ import annotations

import pytest

from ketaflow.lib.tests.api_client import (
    VALID_AMENDMENT,
    VALID_ENTRY,
    call,
    make_world,
)
from ketaflow.patients.entries import ENTRY_KINDS
from ketaflow.patients.schemas import ENTRY_SCHEMAS

KINDS = list(ENTRY_KINDS)


def test_there_are_schemas_for_exactly_the_kinds_in_the_entries_table():
    assert set(ENTRY_SCHEMAS) == set(ENTRY_KINDS)


@pytest.mark.parametrize("slug", KINDS)
def test_each_kinds_schema_accepts_exactly_the_fields_the_service_edits(slug):
    schemas = ENTRY_SCHEMAS[slug]
    assert set(schemas.create.model_fields) == set(ENTRY_KINDS[slug].fields)
    patch_fields = set(schemas.patch.model_fields)
    assert patch_fields == {*ENTRY_KINDS[slug].fields, "status", "reason"}


def test_the_chart_schema_has_a_list_for_every_kind():
    from ketaflow.patients.schemas import ChartOut

    assert {slug.replace("-", "_") for slug in ENTRY_KINDS} <= set(ChartOut.model_fields)


@pytest.fixture
def as_prescriber(client, login, prescriber):
    return login(client, prescriber)


@pytest.mark.parametrize("slug", KINDS)
def test_an_added_entry_is_listed_with_who_recorded_it(as_prescriber, patient, slug):
    base = f"/patients/{patient.pk}/{slug}"
    response = call(as_prescriber, "POST", base, VALID_ENTRY[slug])
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "active"
    assert created["recorded_by"] == "Paul, MD"
    listed = call(as_prescriber, "GET", base).json()
    assert [e["id"] for e in listed] == [created["id"]]


@pytest.mark.parametrize("slug", KINDS)
def test_an_amendment_keeps_the_old_values_and_the_reason_in_the_history(
    as_prescriber, prescriber, patient, slug
):
    entry = make_world(patient, prescriber).entries[slug]
    path = f"/patients/{patient.pk}/{slug}/{entry.pk}"
    amended = call(as_prescriber, "PATCH", path, VALID_AMENDMENT[slug])
    assert amended.status_code == 200, amended.content
    history = call(as_prescriber, "GET", f"{path}/history").json()
    assert [v["history_type"] for v in history] == ["~", "+"]
    assert history[0]["history_change_reason"] == VALID_AMENDMENT[slug]["reason"]
    assert history[0]["history_user"] == "Paul, MD"
    changed = next(k for k in VALID_AMENDMENT[slug] if k != "reason")
    assert history[0][changed] != history[1][changed]


@pytest.mark.parametrize("slug", KINDS)
def test_an_entry_made_by_mistake_is_withdrawn_not_deleted(
    as_prescriber, prescriber, patient, slug
):
    entry = make_world(patient, prescriber).entries[slug]
    path = f"/patients/{patient.pk}/{slug}/{entry.pk}"
    body = {"reason": "Wrong patient"}
    response = call(as_prescriber, "POST", f"{path}/entered-in-error", body)
    assert response.status_code == 200
    assert response.json()["status"] == "entered_in_error"
    assert response.json()["status_reason"] == "Wrong patient"
    listed = call(as_prescriber, "GET", f"/patients/{patient.pk}/{slug}").json()
    assert [e["status"] for e in listed] == ["entered_in_error"]


def test_an_allergy_can_be_marked_resolved(as_prescriber, prescriber, patient):
    entry = make_world(patient, prescriber).entries["allergies"]
    path = f"/patients/{patient.pk}/allergies/{entry.pk}"
    body = {"status": "inactive", "reason": "Outgrown, confirmed by allergist"}
    response = call(as_prescriber, "PATCH", path, body)
    assert response.status_code == 200
    assert response.json()["status"] == "inactive"


def test_a_weight_in_pounds_is_stored_in_kilograms(as_prescriber, patient):
    body = {**VALID_ENTRY["measurements"], "entered_value": 154, "entered_unit": "lb"}
    created = call(as_prescriber, "POST", f"/patients/{patient.pk}/measurements", body).json()
    assert created["value"] == "69.85"
    assert created["entered_unit"] == "lb"


def test_a_prior_treatment_says_whether_it_counts_as_a_failed_adequate_trial(
    as_prescriber, patient
):
    body = {**VALID_ENTRY["prior-treatments"], "outcome": "response"}
    created = call(as_prescriber, "POST", f"/patients/{patient.pk}/prior-treatments", body)
    assert created.json()["counts_as_failed_adequate_trial"] is False


def test_an_adequate_trial_is_asked_over_the_api_too(as_prescriber, patient):
    """Yes, no or null (not known): required, never defaulted; null does not count."""
    url = f"/patients/{patient.pk}/prior-treatments"
    body = {**VALID_ENTRY["prior-treatments"], "outcome": "no_response"}
    missing = {k: v for k, v in body.items() if k != "adequate"}
    assert call(as_prescriber, "POST", url, missing).status_code == 422
    created = call(as_prescriber, "POST", url, {**body, "adequate": None})
    assert created.status_code == 201, created.json()
    assert created.json()["adequate"] is None
    assert created.json()["counts_as_failed_adequate_trial"] is False
    entry = created.json()["id"]
    amended = call(
        as_prescriber, "PATCH", f"{url}/{entry}", {"adequate": True, "reason": "GP letter"}
    )
    assert amended.json()["adequate"] is True
    assert amended.json()["counts_as_failed_adequate_trial"] is True
