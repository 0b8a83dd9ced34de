"""Every system and code Ketaflow sends is in the allow-list, and the list is sourced.

fhir.resources does not check terminology, so these tests do: they walk every coding and
every bound plain code in a full export, and tie the list itself to the clinical core and to
the reference's §8 table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ketaflow.clinical.instruments import GAD7, INSTRUMENTS, PHQ9, ItemInstrument
from ketaflow.clinical.routes import Route
from ketaflow.fhir import codes
from ketaflow.fhir.resources_common import to_json
from ketaflow.fhir.resources_scales import questionnaire
from ketaflow.fhir.tests.conftest import all_resources

# Reference clinical.md §8 (the codes it gives as verified) that the export may use.
REFERENCE_LOINC = {
    "85354-9", "8480-6", "8462-4", "8867-4", "9279-1", "59408-5", "29463-7", "8302-2",
    "69737-5", "70274-6", "44249-1", "44261-6", "44260-8",
    "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9",
}  # fmt: skip
REFERENCE_GAD7_ITEMS = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
REFERENCE_PHQ9_ITEMS = (
    "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
    "44260-8",
)  # fmt: skip


def codings(node: Any) -> Iterator[dict[str, Any]]:
    """Every Coding-shaped object (a dict with `system` and `code`) anywhere in a resource."""
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            yield node
        for value in node.values():
            yield from codings(value)
    elif isinstance(node, list):
        for value in node:
            yield from codings(value)


def bound_values(resource: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(type, element, value) for every plain code the allow-list binds."""
    kind = resource["resourceType"]
    if "status" in resource:
        yield kind, "status", resource["status"]
    if kind == "Patient":
        yield kind, "gender", resource["gender"]
        for name in resource.get("name", []):
            yield "HumanName", "use", name["use"]
        for ident in resource.get("identifier", []):
            yield "Identifier", "use", ident["use"]
        for tel in resource.get("telecom", []):
            yield "ContactPoint", "system", tel["system"]
    if kind == "AllergyIntolerance":
        for reaction in resource.get("reaction", []):
            if "severity" in reaction:
                yield kind, "reaction.severity", reaction["severity"]
    if kind == "Consent":
        yield kind, "provision.type", resource["provision"]["type"]
    if kind == "Questionnaire":
        for item in resource.get("item", []):
            yield kind, "item.type", item["type"]


def test_every_coding_in_a_full_export_is_allow_listed(world: Any) -> None:
    resources = all_resources(world) + [to_json(questionnaire(c)) for c in INSTRUMENTS]
    seen = 0
    for resource in resources:
        for coding in codings(resource):
            seen += 1
            assert codes.is_allowed(coding["system"], coding["code"]), (resource["id"], coding)
            if "display" in coding:
                table = codes.allowed_codes(coding["system"])
                assert coding["display"] == table[coding["code"]].display
    assert seen > 50


def test_every_bound_plain_code_is_allow_listed(world: Any) -> None:
    for resource in all_resources(world):
        for kind, element, value in bound_values(resource):
            assert value in codes.BOUND_CODES[(kind, element)], (resource["id"], element, value)


def test_identifier_systems_are_the_clinics_mrn_system(world: Any) -> None:
    patient = next(r for r in all_resources(world) if r["resourceType"] == "Patient")
    (ident,) = patient["identifier"]
    assert ident["system"] == "https://ketaflow.org/fhir/clinic/riverside/mrn"
    assert ident["value"] == world.patient.mrn


def test_loinc_codes_come_from_the_reference_or_the_core() -> None:
    core = set()
    for instrument in INSTRUMENTS.values():
        core |= {c for c in (instrument.loinc_panel, instrument.loinc_total) if c}
        if isinstance(instrument, ItemInstrument):
            for item in instrument.items:
                core |= {item.loinc} if item.loinc else set()
                core |= {o.loinc for o in item.options if o.loinc}
    listed = set(codes.ALLOWED_CODINGS[codes.LOINC])
    assert listed == REFERENCE_LOINC | core
    assert set(codes.VITAL_LOINC) <= REFERENCE_LOINC


def test_the_core_item_codes_match_the_reference_order() -> None:
    assert tuple(i.loinc for i in GAD7.items if i.scored) == REFERENCE_GAD7_ITEMS
    assert tuple(i.loinc for i in PHQ9.items if i.scored) == REFERENCE_PHQ9_ITEMS


def test_every_route_has_a_snomed_route_code() -> None:
    assert set(codes.ROUTE_CODES) == set(Route)
    expected = {"47625008", "34206005", "78421000", "26643006", "46713006"}
    assert {c.code for c in codes.ROUTE_CODES.values()} == expected


def test_unverified_codes_are_refused() -> None:
    # RxNorm 6130 is UNVERIFIED for ketamine in the reference: never sent.
    with pytest.raises(codes.UnlistedCode):
        codes.coding("http://www.nlm.nih.gov/research/umls/rxnorm", "6130")
    with pytest.raises(codes.UnlistedCode):
        codes.coding(codes.LOINC, "12345-6")
    with pytest.raises(codes.UnlistedCode):
        codes.allowed_code("Observation", "status", "amended")


def test_every_allow_list_entry_says_where_it_comes_from() -> None:
    for system, table in codes.ALLOWED_CODINGS.items():
        assert system.startswith("http"), system
        for code in table.values():
            assert code.source, (system, code.code)
