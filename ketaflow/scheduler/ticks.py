"""One tick of the scheduler: enqueue every job whose current period has not run yet.

Each run is claimed by inserting its `ScheduledRun` row inside a savepoint: with several
schedulers ticking at once the unique constraint lets one insert through; the others get an
IntegrityError, roll back the savepoint and move on, so only the winner enqueues. The row and
the enqueue share a transaction, so a failed enqueue leaves no row and the next tick tries
again. With the database task backend (the default) the task row is in that same transaction:
a run is recorded if and only if its task is queued. With RQ the enqueue reaches Redis before
the commit; a commit that then fails would leave a queued task without its row (and the next
tick would queue it again) — the jobs are safe to repeat, so the cost is a second digest.

The pattern is the one healthchecks' `sendalerts` uses (a conditional write decides which
process owns the work), with the database's unique index as the condition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from ketaflow.accounts.models import Clinic
from ketaflow.scheduler.jobs import TASKS
from ketaflow.scheduler.models import ScheduledRun
from ketaflow.scheduler.schedule import JOBS, Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    """A run the schedule asks for at a moment: the job, its clinic (daily jobs), the period."""

    job: Job
    clinic: Clinic | None
    period_start: datetime


def due_runs(now: datetime) -> list[Due]:
    """Every job's current period (per clinic for daily jobs), run or not."""
    clinics = list(Clinic.objects.order_by("pk"))
    runs: list[Due] = []
    for job in JOBS:
        if job.per_clinic:
            for clinic in clinics:
                zone = ZoneInfo(clinic.timezone)
                runs.append(Due(job, clinic, job.schedule.period_start(now, zone)))
        else:
            runs.append(Due(job, None, job.schedule.period_start(now)))
    return runs


def _already_run(due: Due) -> bool:
    return ScheduledRun.objects.filter(
        job=due.job.name, clinic=due.clinic, period_start=due.period_start
    ).exists()


def claim_and_enqueue(due: Due, now: datetime) -> ScheduledRun | None:
    """Record the run and enqueue its task, or None if another scheduler recorded it first."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(
                    job=due.job.name,
                    clinic=due.clinic,
                    period_start=due.period_start,
                    enqueued_at=now,
                )
        except IntegrityError:
            return None
        args = (due.clinic.pk,) if due.clinic is not None else ()
        result = TASKS[due.job.name].enqueue(*args)
        run.task_result_id = str(result.id)
        run.save(update_fields=["task_result_id"])
    return run


def tick(now: datetime) -> list[ScheduledRun]:
    """Enqueue each job due at `now` whose period has no run yet; returns the runs enqueued.

    A job whose enqueue fails is logged and left for the next tick; the others go ahead.
    """
    enqueued: list[ScheduledRun] = []
    for due in due_runs(now):
        if _already_run(due):
            continue
        try:
            run = claim_and_enqueue(due, now)
        except Exception:
            log.exception("scheduler: could not enqueue %s", due.job.name)
            continue
        if run is not None:
            enqueued.append(run)
    return enqueued
