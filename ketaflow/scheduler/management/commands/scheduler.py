"""`ketaflow scheduler`: enqueue the periodic jobs, instead of cron lines.

Runs until stopped (SIGTERM or Ctrl-C end it between ticks), ticking every --interval
seconds (default 30). `--once` runs a single tick and exits (for cron users and tests);
`--now` (with --once) ticks as if at that instant. Several schedulers may run at once (two
hosts, a rolling restart): each job's period is enqueued once.
"""

from __future__ import annotations

import signal
import threading
from datetime import datetime
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from ketaflow.ops.services import beat
from ketaflow.scheduler.ticks import tick


def _instant(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(f"--now: not an ISO 8601 instant: {raw!r}") from exc
    if moment.tzinfo is None:
        raise CommandError("--now needs a UTC offset, e.g. 2026-11-25T08:00:00+00:00")
    return moment


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs (reminders, digests, export expiry, the audit-chain check, "
        "recovery of interrupted work, pruning); --once for one tick."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")
        parser.add_argument(
            "--now", type=_instant, default=None, help="With --once: tick as if at this instant."
        )
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between ticks (default 30)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"] is not None and not options["once"]:
            raise CommandError("--now is for a single tick: add --once.")
        if options["interval"] < 1:
            raise CommandError("--interval: at least 1 second.")
        if options["once"]:
            self._tick(options["now"] or timezone.now())
            return
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.stdout.write(f"scheduler: ticking every {options['interval']:g}s")
        self.stdout.flush()
        while not stop.is_set():
            close_old_connections()
            self._tick(timezone.now())
            stop.wait(options["interval"])
        self.stdout.write("scheduler: stopped")

    def _tick(self, now: datetime) -> None:
        beat("scheduler", now)  # /readyz: KETAFLOW_READY_HEARTBEATS=scheduler expects it fresh
        for run in tick(now):
            where = f" (clinic {run.clinic_id})" if run.clinic_id else ""
            self.stdout.write(
                f"enqueued {run.job}{where} for {run.period_start.isoformat()}: "
                f"{run.task_result_id}"
            )
        self.stdout.flush()
