"""`ketaflow scheduler` without --once ticks until SIGTERM, then stops cleanly between ticks."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ketaflow.scheduler.tests.test_two_schedulers_at_once import ROOT, _count, _database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _read_lines(proc: subprocess.Popen[str], into: list[str]) -> threading.Thread:
    assert proc.stdout is not None
    stdout = proc.stdout

    def read() -> None:
        for line in stdout:
            into.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def _wait_for(lines: list[str], count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(lines) < count and time.monotonic() < deadline:
        time.sleep(0.2)


def test_the_scheduler_ticks_on_the_real_clock_and_stops_on_sigterm(
    tmp_path: Path, clinic: Any
) -> None:
    url, path = _database_url(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ketaflow.manage", "scheduler", "--interval", "1"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        reader = _read_lines(proc, lines)
        # the first tick: the five installation-wide jobs and the clinic's two daily jobs
        _wait_for(lines, 1 + FIRST_TICK, 300)
        assert lines[0] == "scheduler: ticking every 1s"
        first = lines[1 : 1 + FIRST_TICK]
        assert all(line.startswith("enqueued ") for line in first), lines
        _wait_for(lines, 99, 3)  # a few more ticks, in the same periods
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        reader.join(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert lines[-1] == "scheduler: stopped", lines
    # Later ticks in the same periods enqueued nothing more. On the real clock a tick may
    # cross a period's end (recovery's every 10 minutes): only such a new period may appear.
    started = dict(map(_job_and_period, first))
    assert len(started) == FIRST_TICK
    later = lines[1 + FIRST_TICK : -1]
    assert all(_job_and_period(line)[1] > started[_job_and_period(line)[0]] for line in later), (
        lines
    )
    assert len(later) == len({_job_and_period(line) for line in later})
    assert _count(path, "scheduler_scheduledrun") == FIRST_TICK + len(later)
    assert _count(path, "django_tasks_database_dbtaskresult") == FIRST_TICK + len(later)


FIRST_TICK = 7


def _job_and_period(line: str) -> tuple[str, datetime]:
    """("rems-forms-due (clinic 3)", its period's start) from an `enqueued …` line."""
    match = re.fullmatch(r"enqueued (.+) for (\S+): \S+", line)
    assert match is not None, line
    return match[1], datetime.fromisoformat(match[2])
