"""An override is named in words on the signing summary: every overridable code has words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ketaflow.clinical import discharge, titration
from ketaflow.clinical.dosing import overrides
from ketaflow.clinical.session_exceptions import override_label

DOSING = Path(overrides.__file__).parent
CODE = re.compile(r"[a-z]_[a-z]|\.[a-z]")


def _soft_limit_codes() -> set[str]:
    """Every code a `SoftLimitWarning(...)` is made with in the dosing and titration modules."""
    found: set[str] = set()
    for path in [*DOSING.glob("*.py"), Path(titration.__file__)]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "SoftLimitWarning"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
    return found


def test_every_discharge_reason_has_words() -> None:
    assert set(discharge.LABELS) == set(discharge.CODES)


def test_every_soft_limit_has_words() -> None:
    codes = _soft_limit_codes()
    assert codes and codes == set(overrides.LABELS)


def test_the_words_are_words() -> None:
    for code in (*discharge.CODES, *overrides.LABELS):
        label = override_label(code)
        assert label and not CODE.search(label), (code, label)
    assert override_label("made.up_code") == "a limit the record names"
