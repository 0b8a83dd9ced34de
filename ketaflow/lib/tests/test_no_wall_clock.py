"""No test reads the wall clock, and no code reads it around Django's clock.

Every test runs with Django's clock (`django.utils.timezone.now`) pinned by the `clock`
fixture (`ketaflow/conftest.py`), so a test passes on any day and at any hour. That holds only
while every reading of "now" goes through that one function: this test fails on any other
reading of the wall clock in the project, tests and application code alike, and on a test that
pins the clock by hand instead of through the fixture.

Durations (`time.monotonic`, `time.perf_counter`) are not the wall clock and stay allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # ketaflow/
PINNING_FIXTURE = ROOT / "conftest.py"

# (module or class name, attribute) called with no argument that names a zone or instant.
WALL_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
}


def _python_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def _dotted(node: ast.expr) -> tuple[str, str] | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id, node.attr
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
        return node.value.attr, node.attr  # datetime.datetime.now
    return None


def wall_clock_reads(source: str) -> list[str]:
    """Lines that read the wall clock or pin Django's clock by hand."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if name in WALL_CLOCK_CALLS and not (
            name[1] in {"localtime", "gmtime", "ctime"} and node.args
        ):
            found.append(f"{node.lineno}: {name[0]}.{name[1]}()")
        # monkeypatch.setattr(timezone, "now", ...): only the clock fixture may do that.
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "now"
        ):
            found.append(f"{node.lineno}: setattr(…, 'now') outside the clock fixture")
    return found


def test_the_guard_finds_each_kind_of_wall_clock_read() -> None:
    source = "\n".join(
        [
            "import time, datetime as dt",
            "from datetime import date, datetime",
            "a = datetime.now()",
            "b = date.today()",
            "c = time.time()",
            "d = dt.datetime.utcnow()",
            "monkeypatch.setattr(timezone, 'now', lambda: a)",
            "e = time.localtime(0)",  # a given instant: not a clock read
            "f = time.monotonic()",  # a duration: allowed
            "g = timezone.now()",  # Django's clock: pinned in tests
        ]
    )
    assert wall_clock_reads(source) == [
        "3: datetime.now()",
        "4: date.today()",
        "5: time.time()",
        "6: datetime.utcnow()",
        "7: setattr(…, 'now') outside the clock fixture",
    ]


def test_only_djangos_pinned_clock_is_read() -> None:
    offenders = {
        str(path.relative_to(ROOT)): reads
        for path in _python_files()
        if path not in {PINNING_FIXTURE, Path(__file__).resolve()}
        and (reads := wall_clock_reads(path.read_text()))
    }
    assert not offenders, (
        f"These read the wall clock: {offenders}. Read django.utils.timezone.now() "
        "(in tests, pin it with the `clock` fixture)."
    )
