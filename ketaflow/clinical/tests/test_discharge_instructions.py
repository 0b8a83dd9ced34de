"""Discharge instructions: plain language, our own words, each with its sources."""

from __future__ import annotations

import pytest

from ketaflow.clinical.discharge import discharge_instructions
from ketaflow.clinical.routes import Route


@pytest.mark.parametrize("route", list(Route))
def test_every_route_gets_the_driving_escort_and_emergency_instructions(route: Route) -> None:
    items = discharge_instructions(route)
    codes = [i.code for i in items]
    assert codes[:2] == ["no_driving", "go_home_accompanied"]
    assert "emergency_symptoms" in codes
    assert all(i.sources and i.text for i in items)
    assert len(set(codes)) == len(codes)


def test_the_driving_instruction_says_until_the_next_day_citing_the_spravato_label() -> None:
    first = discharge_instructions(Route.INTRANASAL)[0]
    assert "until tomorrow" in first.text
    assert [s.key for s in first.sources] == ["S1", "S2"]


def test_only_injected_routes_get_the_injection_site_instruction() -> None:
    for route in (Route.IV, Route.SC, Route.IM):
        assert "injection_site" in [i.code for i in discharge_instructions(route)]
    for route in (Route.ORAL, Route.INTRANASAL):
        assert "injection_site" not in [i.code for i in discharge_instructions(route)]


def test_instructions_are_short_plain_sentences() -> None:
    for item in discharge_instructions(Route.IV):
        assert len(item.text) < 300
        assert "[" not in item.text  # no citation marks in patient text
