"""The OpenAPI document describes every field; the docs page works without internet."""

from __future__ import annotations

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
    assert openapi["components"]["schemas"]["PatientIn"]["additionalProperties"] is False


def test_both_ways_to_authenticate_are_declared(openapi):
    schemes = openapi["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_the_docs_page_loads_swagger_from_this_server_not_a_cdn(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/api/v1/docs/assets/") for s in sources)
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200
        assert b"".join(asset.streaming_content)


def test_only_the_swagger_files_are_served_as_docs_assets(client, db):
    assert client.get("/api/v1/docs/assets/..%2F..%2F__init__.py").status_code == 404
    assert client.get("/api/v1/docs/assets/redoc.standalone.js").status_code == 404


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
