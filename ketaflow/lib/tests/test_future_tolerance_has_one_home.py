"""How far ahead a recorded time may be is one value, read by every path that records times."""

from __future__ import annotations

from datetime import timedelta

from ketaflow.fhir import importing
from ketaflow.lib.clock import FUTURE_TOLERANCE
from ketaflow.questionnaires import services as questionnaires
from ketaflow.screening import services as screening
from ketaflow.treatments import services as treatments


def test_every_path_reads_the_clock_modules_tolerance() -> None:
    for module in (importing, questionnaires, screening, treatments):
        assert module.FUTURE_TOLERANCE is FUTURE_TOLERANCE, module.__name__


def test_it_is_a_few_minutes_of_clock_drift() -> None:
    assert timedelta(minutes=5) == FUTURE_TOLERANCE
