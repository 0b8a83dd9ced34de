"""Reads of the ops app: heartbeats and the task queue, for /readyz and /metrics.

Nothing here touches patient data; these reads are not audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min
from django_tasks.base import TaskResultStatus

from ketaflow.ops.models import Heartbeat


def heartbeats(prefix: str = "") -> list[Heartbeat]:
    """Every heartbeat whose name starts with `prefix`, by name."""
    return list(Heartbeat.objects.filter(name__startswith=prefix))


def heartbeat_age(name: str, now: datetime) -> timedelta | None:
    """How long ago `name` last beat, or None if it never has."""
    last = Heartbeat.objects.filter(name=name).values_list("last_beat_at", flat=True).first()
    return None if last is None else now - last


@dataclass(frozen=True)
class QueueState:
    """The default task backend's queue: jobs waiting to run, the oldest one's wait, failures."""

    backend: str  # "database" or "rq"
    queued: int
    oldest_wait: timedelta | None
    failed: int


def queue_state(now: datetime) -> QueueState:
    """Read the configured backend (`KETAFLOW_TASKS_BACKEND`). Raises if it is unreachable."""
    if settings.KETAFLOW_TASKS_BACKEND == "rq":
        return _rq_state(now)
    return _database_state(now)


def _database_state(now: datetime) -> QueueState:
    """django-tasks-db's rows. A job waits from when it was enqueued or, if deferred, from
    its `run_after`; a job deferred to later is not waiting yet."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    due = ready.filter(run_after__lte=now)
    undeferred = ready.filter(run_after=get_date_max())
    oldest = [
        undeferred.aggregate(t=Min("enqueued_at"))["t"],
        due.aggregate(t=Min("run_after"))["t"],
    ]
    since = min((t for t in oldest if t is not None), default=None)
    return QueueState(
        backend="database",
        queued=undeferred.count() + due.count(),
        oldest_wait=None if since is None else max(now - since, timedelta(0)),
        failed=DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count(),
    )


def _rq_state(now: datetime) -> QueueState:
    """RQ's queues named in TASKS. The oldest job is near the head of a queue (a job enqueued
    `at_front` jumps ahead of older ones), so the first few are read."""
    import django_rq

    names = settings.TASKS["default"].get("QUEUES") or list(settings.RQ_QUEUES)
    queued = failed = 0
    since: datetime | None = None
    for name in names:
        queue = django_rq.get_queue(name)
        queued += queue.count
        failed += queue.failed_job_registry.count
        for job in queue.job_class.fetch_many(queue.get_job_ids(0, 10), queue.connection):
            if job is not None and job.enqueued_at is not None:
                since = job.enqueued_at if since is None else min(since, job.enqueued_at)
    return QueueState(
        backend="rq",
        queued=queued,
        oldest_wait=None if since is None else max(now - since, timedelta(0)),
        failed=failed,
    )


def sign_in_failures() -> int:
    """Failed sign-ins ever recorded (the audit log keeps one event each; rows are never
    deleted, so the count only grows: a Prometheus counter, the same from every process)."""
    from ketaflow.audit.models import AccessEvent, Action

    return AccessEvent.objects.filter(action=Action.SIGN_IN_FAILED).count()


def locked_out(now: datetime) -> int:
    """Username-and-address pairs django-axes holds locked out now (within the cool-off)."""
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff is not None:
        attempts = attempts.filter(attempt_time__gte=now - cooloff)
    return attempts.count()
