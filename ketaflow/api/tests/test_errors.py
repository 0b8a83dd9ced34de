"""Bad input gets a 422 naming the field, in one shape whoever found the problem; never a 500.

Schema errors (pydantic) and service errors (Django ValidationError) look the same:
`{"detail": [{"loc": ["body", field], "msg": ..., "type": ...}]}`. Nothing is written.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaflow.audit.models import AccessEvent
from ketaflow.lib.tests.api_client import (
    VALID_AMENDMENT,
    VALID_ENTRY,
    VALID_PATIENT,
    call,
    details,
    fields_in_error,
    make_world,
)
from ketaflow.patients.entries import ENTRY_KINDS
from ketaflow.patients.models import Medication, Patient


@pytest.fixture
def as_prescriber(client, login, prescriber):
    return login(client, prescriber)


def test_an_unknown_field_is_refused_by_name(as_prescriber, patient):
    body = {**VALID_ENTRY["allergies"], "colour": "red"}
    response = call(as_prescriber, "POST", f"/patients/{patient.pk}/allergies", body)
    assert response.status_code == 422
    (problem,) = details(response)
    assert problem["loc"] == ["body", "colour"]
    assert "Unknown field 'colour'" in problem["msg"]


def test_a_missing_field_is_named(as_prescriber):
    body = {k: v for k, v in VALID_PATIENT.items() if k != "family_name"}
    response = call(as_prescriber, "POST", "/patients", body)
    assert response.status_code == 422
    assert details(response) == [
        {"loc": ["body", "family_name"], "msg": "This field is required.", "type": "missing"}
    ]


def test_a_service_error_has_the_same_shape_as_a_schema_error(as_prescriber, patient):
    body = {"name": "diazepam", "classes": ["benzodiazepine"]}  # dose equivalent missing
    response = call(as_prescriber, "POST", f"/patients/{patient.pk}/medications", body)
    assert response.status_code == 422
    assert fields_in_error(response) == {"diazepam_equivalent_mg_per_day"}


def test_a_date_of_birth_in_the_future_is_refused_by_the_service(as_prescriber):
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = call(
        as_prescriber, "POST", "/patients", {**VALID_PATIENT, "date_of_birth": tomorrow}
    )
    assert response.status_code == 422
    assert fields_in_error(response) == {"date_of_birth"}


def test_a_weight_in_the_wrong_unit_is_refused_with_the_range(as_prescriber, patient):
    body = {**VALID_ENTRY["measurements"], "entered_value": 7, "entered_unit": "kg"}
    response = call(as_prescriber, "POST", f"/patients/{patient.pk}/measurements", body)
    assert response.status_code == 422
    assert "between 25 and 350 kg" in details(response)[0]["msg"]


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        ("{not json", ["body"]),
        ("[1, 2]", ["body"]),
        ('"a string"', ["body"]),
        ("", ["body"]),
    ],
)
def test_a_body_that_is_not_a_json_object_is_422(as_prescriber, raw, loc):
    response = call(as_prescriber, "POST", "/patients", raw=raw)
    assert response.status_code == 422
    assert details(response)[0]["loc"] == loc


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", 0),  # pydantic would read 0 as 1970-01-01
        ("date_of_birth", "12/10/1990"),
        ("date_of_birth", "1990-02-30"),
        ("can_become_pregnant", "yes"),
        ("can_become_pregnant", 1),
        ("given_name", "Ada\x00"),
        ("given_name", "\ud800"),
        ("given_name", ""),
        ("given_name", "x" * 101),
        ("sex_at_birth", "f"),
        ("email", "not an address"),
    ],
)
def test_a_bad_value_is_refused_by_field(as_prescriber, field, value):
    response = call(as_prescriber, "POST", "/patients", {**VALID_PATIENT, field: value})
    assert response.status_code == 422, response.content
    assert fields_in_error(response) == {field}
    assert not Patient.objects.filter(family_name="Lovelace").exists()


@pytest.mark.parametrize("value", [500.01, -1, "NaN", "1e400", 12.345])
def test_a_diazepam_equivalent_outside_0_to_500_with_one_decimal_is_refused(
    as_prescriber, patient, value
):
    body = {"name": "diazepam", "classes": ["benzodiazepine"]}
    body["diazepam_equivalent_mg_per_day"] = value
    response = call(as_prescriber, "POST", f"/patients/{patient.pk}/medications", body)
    assert response.status_code == 422
    assert fields_in_error(response) == {"diazepam_equivalent_mg_per_day"}


@pytest.mark.parametrize("path_id", ["abc", "-1", "0", str(2**64), "1.5"])
def test_a_bad_id_in_the_path_is_422(as_prescriber, path_id):
    response = call(as_prescriber, "GET", f"/patients/{path_id}")
    assert response.status_code == 422
    assert details(response)[0]["loc"] == ["path", "patient_id"]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("POST", ""),
        ("PATCH", "/1"),
        ("POST", "/1/entered-in-error"),
        ("GET", "/1/history"),
    ],
)
def test_an_unknown_kind_of_entry_is_404(as_prescriber, patient, method, suffix):
    body = None if method == "GET" else {}
    response = call(as_prescriber, method, f"/patients/{patient.pk}/tattoos{suffix}", body)
    assert response.status_code == 404
    assert "tattoos" in details(response)[0]["msg"]


def test_an_entry_asked_for_under_another_patient_is_404(as_prescriber, prescriber, patient):
    world = make_world(patient, prescriber)
    other = Patient.objects.create(
        clinic=patient.clinic,
        mrn="KF-000099",
        given_name="Sam",
        family_name="Other",
        date_of_birth=date(1970, 1, 1),
        sex_at_birth="male",
    )
    entry = world.entries["allergies"]
    path = f"/patients/{other.pk}/allergies/{entry.pk}/history"
    assert call(as_prescriber, "GET", path).status_code == 404


@pytest.mark.parametrize("slug", list(ENTRY_KINDS))
def test_an_amendment_needs_a_reason(as_prescriber, prescriber, patient, slug):
    world = make_world(patient, prescriber)
    path = f"/patients/{patient.pk}/{slug}/{world.entries[slug].pk}"
    body = {k: v for k, v in VALID_AMENDMENT[slug].items() if k != "reason"}
    response = call(as_prescriber, "PATCH", path, body)
    assert response.status_code == 422
    assert fields_in_error(response) == {"reason"}
    blank = call(as_prescriber, "PATCH", path, {**body, "reason": "   "})
    assert blank.status_code == 422
    assert fields_in_error(blank) == {"reason"}


def test_an_amendment_cannot_blank_out_a_required_field(as_prescriber, prescriber, patient):
    world = make_world(patient, prescriber)
    path = f"/patients/{patient.pk}/medications/{world.entries['medications'].pk}"
    response = call(as_prescriber, "PATCH", path, {"name": None, "reason": "oops"})
    assert response.status_code == 422
    assert fields_in_error(response) == {"name"}


def test_entered_in_error_is_not_a_status_to_patch(as_prescriber, prescriber, patient):
    world = make_world(patient, prescriber)
    path = f"/patients/{patient.pk}/allergies/{world.entries['allergies'].pk}"
    response = call(as_prescriber, "PATCH", path, {"status": "entered_in_error", "reason": "x"})
    assert response.status_code == 422
    assert fields_in_error(response) == {"status"}


def test_bad_query_parameters_are_422(client, login, clinic_admin):
    login(client, clinic_admin)
    for query in ("action=shred", "since=yesterday", "limit=0", "limit=100000", "patient=x"):
        response = call(client, "GET", f"/audit/events?{query}")
        assert response.status_code == 422, query
        assert details(response)[0]["loc"][0] == "query"


# ------------------------------------------------------------------ random bodies

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["", "1990-01-01", "2999-01-01", "female", "kg", "lb", "benzodiazepine"])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def bodies(fields: list[str]) -> st.SearchStrategy[object]:
    """Mostly objects with real field names and random values, sometimes anything at all."""
    keys = st.sampled_from(fields) | st.text(max_size=12)
    return st.dictionaries(keys, JSON_VALUES, max_size=len(fields) + 2) | JSON_VALUES


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=bodies([*VALID_PATIENT, "mrn", "email", "phone", "preferred_name", "address"]))
def test_random_bodies_never_break_registration(client, login, front_desk, body):
    login(client, front_desk)
    patients, events = Patient.objects.count(), AccessEvent.objects.count()
    response = call(client, "POST", "/patients", raw=json.dumps(body))
    assert response.status_code in {201, 422}, response.content
    if response.status_code == 422:
        assert details(response)
        assert Patient.objects.count() == patients
        assert AccessEvent.objects.count() == events


@FUZZ
@given(body=bodies(list(ENTRY_KINDS["medications"].fields)))
def test_random_bodies_never_break_adding_a_medication(client, login, nurse, patient, body):
    login(client, nurse)
    medications, events = Medication.objects.count(), AccessEvent.objects.count()
    response = call(client, "POST", f"/patients/{patient.pk}/medications", raw=json.dumps(body))
    assert response.status_code in {201, 422}, response.content
    if response.status_code == 422:
        assert details(response)
        assert Medication.objects.count() == medications
        assert AccessEvent.objects.count() == events


@FUZZ
@given(body=bodies(list(ENTRY_KINDS["measurements"].fields)))
def test_random_bodies_never_break_adding_a_measurement(client, login, nurse, patient, body):
    from ketaflow.patients.models import Measurement

    login(client, nurse)
    before, events = Measurement.objects.count(), AccessEvent.objects.count()
    response = call(client, "POST", f"/patients/{patient.pk}/measurements", raw=json.dumps(body))
    assert response.status_code in {201, 422}, response.content
    if response.status_code == 422:
        assert Measurement.objects.count() == before
        assert AccessEvent.objects.count() == events
