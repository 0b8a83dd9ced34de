"""`ketaflow worker`: the process that runs background jobs (exports, emails, summaries).

Which worker runs follows `TASKS` (settings, `KETAFLOW_TASKS_BACKEND`):

- the database backend (the default): django-tasks-db's worker, polling the task table of
  this database (SQLite or PostgreSQL; several workers may run, each claims a row under a
  row lock);
- RQ: an RQ worker on Redis for the configured queues, with RQ's scheduler on (jobs deferred
  with `run_after`, such as an email's next attempt, wait in its schedule).

`--batch` runs what is queued now and exits (for tests, cron set-ups and one-off drains).
A job killed with the worker (kill -9, a crash, a restart) is not lost: each job keeps its own
state row and lease (`fhir.ExportJob`, `mail.OutboxMessage`), and `recover_interrupted_work`
(run by this command at start-up, and periodically by the scheduler) queues again the jobs
whose lease ran out.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

log = logging.getLogger(__name__)


def _queues(alias: str) -> list[str]:
    return sorted(task_backends[alias].queues) or ["default"]


class Command(BaseCommand):
    help = "Run background jobs: the database worker, or an RQ worker when TASKS uses RQ."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the jobs queued now, then exit (default: run until stopped)",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Database worker: seconds between looks at an empty queue (default 1)",
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="Exit after N jobs")
        parser.add_argument(
            "--no-recover",
            action="store_true",
            help="Do not queue again the jobs a killed worker left unfinished at start-up",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        alias = DEFAULT_TASK_BACKEND_ALIAS
        backend = settings.TASKS[alias]["BACKEND"]
        if not opts["no_recover"]:
            from ketaflow.lib.background import recover_interrupted_work

            recovered = recover_interrupted_work.enqueue()
            log.info("recovery queued as %s", recovered.id)
        queues = _queues(alias)
        if backend == "django_tasks_db.DatabaseBackend":
            self._database_worker(alias, queues, opts)
        elif backend == "django_tasks_rq.RQBackend":
            self._rq_worker(queues, opts)
        else:
            raise CommandError(
                f"TASKS uses {backend}, which has no worker process (jobs run where enqueued)."
            )

    def _database_worker(self, alias: str, queues: list[str], opts: dict[str, Any]) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(
            queue_names=queues,
            interval=opts["interval"],
            batch=opts["batch"],
            backend_name=alias,
            startup_delay=not opts["batch"],
            max_tasks=opts["max_tasks"],
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()  # SIGTERM: finish the running job, then stop
        worker.run()

    def _rq_worker(self, queues: list[str], opts: dict[str, Any]) -> None:
        extra: dict[str, Any] = {}
        if opts["max_tasks"] is not None:
            extra["max_jobs"] = opts["max_tasks"]
        call_command(
            "rqworker",
            *queues,
            job_class="django_tasks_rq.Job",
            burst=opts["batch"],
            with_scheduler=True,
            verbosity=opts["verbosity"],
            **extra,
        )
