"""Protocol versions survive a round trip through JSON exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.protocols import (
    DEFAULT,
    Protocol,
    Setting,
    builtin_protocols,
    iv_induction,
    protocol_from_dict,
    protocol_to_dict,
)
from ketaflow.clinical.protocols.serialise import setting_from_dict, setting_to_dict


def _round_trip(protocol: Protocol) -> Protocol:
    return protocol_from_dict(json.loads(json.dumps(protocol_to_dict(protocol), allow_nan=False)))


def test_every_shipped_protocol_round_trips_exactly() -> None:
    for protocol in builtin_protocols().values():
        assert _round_trip(protocol) == protocol


def test_a_revised_protocol_round_trips_with_its_local_values_and_defaults() -> None:
    v2 = iv_induction().revise({"observation_minutes": 90, "induction.doses.1": 0.6})
    restored = _round_trip(v2)
    assert restored == v2
    assert restored.version == 2
    assert restored.observation_minutes.is_local
    assert restored.observation_minutes.default.value == 60


def _value_for(setting: Setting[Any]) -> st.SearchStrategy[Any]:
    low = setting.minimum if setting.minimum is not None else 0
    high = setting.maximum if setting.maximum is not None else max(30, setting.default.value)
    if setting.step is not None:
        steps = range(int(low // setting.step), int(high // setting.step) + 1)
        return st.sampled_from([k * setting.step for k in steps]).filter(
            lambda v: v >= low and (v > low or not setting.exclusive_minimum)
        )
    if isinstance(setting.default.value, int):
        return st.integers(int(low), int(high))
    return st.floats(low, high, allow_nan=False, exclude_min=setting.exclusive_minimum)


SHIPPED = list(builtin_protocols().values())


@st.composite
def revised_protocols(draw: st.DrawFn) -> Protocol:
    protocol = draw(st.sampled_from(SHIPPED))
    for _ in range(draw(st.integers(1, 3))):
        keys = draw(st.lists(st.sampled_from([k for k, _ in protocol.settings()]), max_size=5))
        changes: dict[str, object] = {}
        for key in keys:
            if draw(st.booleans()) and protocol.setting(key).is_local:
                changes[key] = DEFAULT
            else:
                changes[key] = draw(_value_for(protocol.setting(key)))
        if draw(st.booleans()):
            changes["name"] = draw(st.text(max_size=20))
        if not changes:
            continue
        try:
            protocol = protocol.revise(changes)
        except ClinicalInputError:  # e.g. a review point beyond a shortened series
            continue
    return protocol


@settings(max_examples=200)
@given(revised_protocols())
def test_any_revision_round_trips_through_json_exactly(protocol: Protocol) -> None:
    restored = _round_trip(protocol)
    assert restored == protocol
    assert restored.settings() == protocol.settings()
    assert restored.needs_signoff() == protocol.needs_signoff()


@settings(max_examples=200)
@given(revised_protocols())
def test_a_stored_protocol_is_plain_json_data(protocol: Protocol) -> None:
    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | float | bool)

    assert plain(protocol_to_dict(protocol))


def _stored() -> dict[str, Any]:
    return json.loads(json.dumps(protocol_to_dict(iv_induction())))


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("name"), "name"),
        (lambda d: d.update(schema=2), "schema"),
        (lambda d: d.update(version="1"), "version"),
        (lambda d: d.update(route="rectal"), "route"),
        (lambda d: d.update(sources=["S999"]), "sources"),
        (lambda d: d.update(sources=[1]), "sources"),
        (lambda d: d.update(phases={}), "phases"),
        (lambda d: d.update(code=5), "code"),
        (lambda d: d.update(entry_thresholds=[["hama"]]), "entry_thresholds[0]"),
        (lambda d: d["observation_minutes"].update(default="x"), "observation_minutes.default"),
        (lambda d: d["observation_minutes"].update(typical=[1]), "observation_minutes.typical"),
        (lambda d: d["observation_minutes"].update(minimum="0"), "observation_minutes.minimum"),
        (
            lambda d: d["observation_minutes"].update(maximum=float("inf")),
            "observation_minutes.maximum",
        ),
        (lambda d: d["observation_minutes"].update(local=-5), "observation_minutes.local"),
        (
            lambda d: d["observation_minutes"].update(evidence="maybe"),
            "observation_minutes.evidence",
        ),
        (
            lambda d: d["observation_minutes"].update(exclusive_minimum=1),
            "observation_minutes.exclusive_minimum",
        ),
        (lambda d: d.update(observation_minutes=[]), "observation_minutes"),
        (lambda d: d["phases"][0].update(kind="rest"), "phases[0].kind"),
    ],
)
def test_a_damaged_stored_protocol_is_an_input_error_naming_the_field(
    mutate: Any, field: str
) -> None:
    data = _stored()
    mutate(data)
    with pytest.raises(ClinicalInputError) as err:
        protocol_from_dict(data)
    assert err.value.field == field


def test_a_stored_protocol_must_be_an_object() -> None:
    with pytest.raises(ClinicalInputError) as err:
        protocol_from_dict([])
    assert err.value.field == "protocol"


def test_a_setting_with_a_typical_range_round_trips() -> None:
    minutes = iv_induction().infusion_minutes
    assert minutes is not None
    assert setting_from_dict(setting_to_dict(minutes)) == minutes
