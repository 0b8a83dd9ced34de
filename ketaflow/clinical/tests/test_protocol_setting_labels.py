"""Every protocol setting has a name in words: the clinic's screens never show its key."""

from __future__ import annotations

import re

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.protocols.builtin import builtin, builtin_protocols

CODE = re.compile(r"[a-z0-9]_[a-z0-9]|\.[a-z]")


@pytest.mark.parametrize("code", sorted(builtin_protocols()))
def test_every_setting_of_every_builtin_protocol_reads_as_words(code: str) -> None:
    protocol = builtin(code)
    labels = [protocol.setting_label(key) for key, _ in protocol.settings()]
    assert all(label and not CODE.search(label) for label in labels), labels
    assert len(set(labels)) == len(labels)  # two settings never share a name


def test_labels_name_the_phase_and_the_instrument() -> None:
    iv = builtin("iv-racemic")
    assert iv.setting_label("max_pause_minutes") == "Longest pause in an infusion"
    assert iv.setting_label("entry_thresholds.hama") == "Entry score above: HAM-A"
    induction = next(p for p in iv.phases if p.code == "induction")
    assert iv.setting_label("induction.doses.1") == f"{induction.name} · dose step 1"
    with pytest.raises(ClinicalInputError):
        iv.setting_label("nowhere.sessions")


def test_a_phase_is_named_by_its_protocol() -> None:
    iv = builtin("iv-racemic")
    taper = next(p for p in iv.phases if p.code == "taper_weekly")
    assert iv.phase_name("taper_weekly") == taper.name
    assert iv.phase_name("gone_phase") == "gone phase"
