"""Background jobs on the Django Tasks API: queueing after commit, and recovering killed work.

Every job is a plain `@task` function (`django_tasks.task`, Django 6's `django.tasks`), so the
code moves to Django 6 by changing that import. Jobs are queued with `enqueue_on_commit`: a
rolled-back write queues nothing, and the worker never looks for a row that is not committed
yet.

Neither backend re-runs a job whose worker was killed mid-way (kill -9, a crash, a restart):
the database backend leaves its task row "running", RQ moves it to its failed registry.
So each kind of job keeps its own state row with a lease (the export job, the outbox
message): the job claims the row with a conditional UPDATE, renews the lease while it works,
and ends the row done. The app registers a recovery (`register_recovery`) that queues again
the rows whose lease ran out; `recover_interrupted_work` runs them all. `ketaflow worker`
queues it at start-up and the scheduler periodically.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django_tasks import task

log = logging.getLogger(__name__)

_recoveries: dict[str, Callable[[], int]] = {}


def enqueue_on_commit(job: Any, *args: Any, **kwargs: Any) -> None:
    """Queue `job(*args, **kwargs)` once the current transaction commits (now, outside one)."""
    transaction.on_commit(lambda: job.enqueue(*args, **kwargs))


def register_recovery(name: str, recover: Callable[[], int]) -> None:
    """`recover()` queues again the work a killed worker left unfinished; returns how many."""
    _recoveries[name] = recover


@task
def recover_interrupted_work() -> dict[str, int]:
    """Queue again every job whose lease ran out; {kind: how many}. Safe to run any time."""
    found: dict[str, int] = {}
    for name, recover in sorted(_recoveries.items()):
        try:
            found[name] = recover()
        except Exception:  # one kind's failure must not hide the others' work
            log.exception("recovering %s failed", name)
            found[name] = -1
    return found
