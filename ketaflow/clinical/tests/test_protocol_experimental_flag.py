"""Oral and sublingual protocols are flagged experimental; stored versions without the flag
(saved before it existed) load as not experimental and without titration."""

from __future__ import annotations

from ketaflow.clinical.protocols import builtin, builtin_protocols, protocol_from_dict
from ketaflow.clinical.protocols.serialise import protocol_to_dict

NEW_KEYS = (
    "experimental",
    "titration_step_mg",
    "titration_min_days",
    "max_mg_per_dose",
    "max_mg_per_7_days",
)


def test_only_the_oral_and_sublingual_protocols_are_experimental() -> None:
    flagged = {code for code, p in builtin_protocols().items() if p.experimental}
    assert flagged == {"oral-racemic-titration", "sublingual-racemic-low-dose"}


def test_a_version_stored_before_the_flag_loads_as_it_was() -> None:
    for code in ("iv-racemic", "sc-racemic-anxiety", "esketamine-label"):
        old = {k: v for k, v in protocol_to_dict(builtin(code)).items() if k not in NEW_KEYS}
        restored = protocol_from_dict(old)
        assert restored == builtin(code)
        assert not restored.experimental and restored.titration() is None


def test_the_flag_and_titration_survive_a_round_trip() -> None:
    oral = builtin("oral-racemic-titration").revise({"max_mg_per_dose": 125})
    restored = protocol_from_dict(protocol_to_dict(oral))
    assert restored.experimental
    rules = restored.titration()
    assert rules is not None and rules.max_mg_per_dose.value == 125
    assert "max_mg_per_dose" in restored.local_settings()


def test_the_ceilings_need_local_sign_off_until_set() -> None:
    keys = builtin("oral-racemic-titration").needs_signoff()
    assert {"max_mg_per_dose", "max_mg_per_7_days"} <= set(keys)
    assert builtin("oral-racemic-titration").setting_label("max_mg_per_dose") == "Ceiling per dose"
