"""The OpenAPI document describes every field; the docs page works without internet."""

from __future__ import annotations

import json
import re

import pytest

from ketaflow.patients.entries import ENTRY_KINDS
from ketaflow.patients.schemas import ENTRY_SCHEMAS


@pytest.fixture
def openapi(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_lists_every_kind_of_chart_entry(openapi):
    for slug in ENTRY_KINDS:
        assert f"/api/v1/patients/{{patient_id}}/{slug}" in openapi["paths"]


def test_every_input_field_of_every_entry_is_described(openapi):
    components = openapi["components"]["schemas"]
    for schemas in ENTRY_SCHEMAS.values():
        for model in (schemas.create, schemas.patch):
            properties = components[model.__name__]["properties"]
            for name, prop in properties.items():
                assert prop.get("description"), f"{model.__name__}.{name}"


def test_units_and_ranges_are_in_the_descriptions(openapi):
    components = openapi["components"]["schemas"]
    value = components["MeasurementIn"]["properties"]["entered_value"]["description"]
    assert "kg" in value and "cm" in value and "25" in value and "250" in value
    dose = components["MedicationIn"]["properties"]["diazepam_equivalent_mg_per_day"]
    assert "mg/day" in dose["description"] and "0–500" in dose["description"]


def test_unknown_fields_are_declared_forbidden(openapi):
    assert openapi["components"]["schemas"]["PatientRegisterIn"]["additionalProperties"] is False


def test_both_ways_to_authenticate_are_declared(openapi):
    schemes = openapi["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


@pytest.fixture
def static_client(settings):
    """A client whose WhiteNoise serves from the apps' static folders, as after collectstatic.

    Tests run with DEBUG off, so WhiteNoise would look only in STATIC_ROOT, which exists
    only once `collectstatic` has run (production); the finders see the same files."""
    from django.test import Client

    settings.WHITENOISE_USE_FINDERS = True
    return Client()


def test_the_docs_page_loads_swagger_from_this_server_not_a_cdn(static_client, db):
    response = static_client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/ninja/swagger-ui-bundle.js" in sources
    assert sources and all(s.startswith("/static/ninja/") for s in sources)
    for source in sources:
        asset = static_client.get(source)
        assert asset.status_code == 200, source
        assert b"".join(asset.streaming_content)


def test_the_docs_settings_reach_swagger_as_json_not_html_escaped(client, db):
    """The page used to HTML-escape the JSON inside <script>, which left the docs blank."""
    html = client.get("/api/v1/docs").content.decode()
    settings_json = re.search(r'id="swagger-settings">(.*?)</script>', html, re.S)
    assert settings_json
    assert json.loads(settings_json.group(1))["url"] == "/api/v1/openapi.json"


def test_the_docs_page_hands_swagger_the_csrf_token_for_session_writes(client, db):
    """Trying a write from the docs page with the session cookie needs X-CSRFToken."""
    html = client.get("/api/v1/docs").content.decode()
    token = re.search(r'data-csrf-token="([^"]*)"', html)
    assert token and token.group(1)
    assert 'data-api-csrf="true"' in html


def test_the_docs_static_files_stay_cacheable(static_client, db):
    """They hold no data: WhiteNoise answers them before the no-store middleware."""
    response = static_client.get("/static/ninja/swagger-ui.css")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]


def _schema_classes() -> list[type]:
    """Every ninja Schema the project defines (importing the API imports every router)."""
    from ninja import Schema

    import ketaflow.api  # noqa: F401

    found, todo = [], list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("ketaflow."):
            found.append(cls)
    return found


def test_no_two_schemas_share_a_name_so_none_is_documented_as_another():
    """Found by an attacker: same-named schemas (ReviewOut, DueOut, ReasonIn, FindingOut) were
    merged into one OpenAPI component, so eight operations were documented wrongly."""
    by_name: dict[str, list[str]] = {}
    for cls in _schema_classes():
        by_name.setdefault(cls.__name__, []).append(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: where for name, where in by_name.items() if len(set(where)) > 1}
    assert not clashes


def test_each_operation_documents_its_own_schema(openapi):
    components = openapi["components"]["schemas"]
    review = components["EligibilityReviewOut"]["properties"]
    assert "findings" in review or "outcome" in review
    assert "SafetyDueOut" in components and "QuestionnaireDueOut" in components
