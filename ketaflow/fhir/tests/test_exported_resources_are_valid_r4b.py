"""Every exported resource is valid R4B and survives a round trip through fhir.resources."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from ketaflow.clinical.instruments import INSTRUMENTS
from ketaflow.fhir.bundle import EXPORTED_TYPES
from ketaflow.fhir.resources_common import to_json
from ketaflow.fhir.resources_scales import questionnaire
from ketaflow.fhir.tests.conftest import all_resources

pytestmark = pytest.mark.django_db


def _round_trip(data: dict[str, Any]) -> dict[str, Any]:
    model = get_fhir_model_class(data["resourceType"])
    return to_json(model.model_validate(data))


def test_every_exported_type_appears_for_a_patient_with_everything(world: Any) -> None:
    kinds = {r["resourceType"] for r in all_resources(world)}
    assert kinds == set(EXPORTED_TYPES)


def test_every_resource_parses_back_to_the_same_json(world: Any) -> None:
    for data in all_resources(world):
        assert _round_trip(data) == data, data["id"]


def test_ids_are_unique_per_type(world: Any) -> None:
    keys = [(r["resourceType"], r["id"]) for r in all_resources(world)]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_every_instrument_has_a_valid_questionnaire(code: str) -> None:
    data = to_json(questionnaire(code))
    assert _round_trip(data) == data
    assert data["url"].endswith(f"/Questionnaire/{code}")
