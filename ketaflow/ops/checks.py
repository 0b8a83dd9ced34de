"""Readiness checks, as django-health-check plugins (`health_check.HealthCheck` subclasses).

Each raises `ServiceUnavailable` with a short message that names no patient, host or
credential; `info` carries the figures /readyz shows (ages in seconds, counts).

The probes run with `sync_to_async` (thread-sensitive): in the request's own thread and
database connection, not in a pool thread that would open and keep a connection of its own.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from health_check import HealthCheck
from health_check.exceptions import ServiceUnavailable

from ketaflow.ops import selectors


def _seconds(age: timedelta) -> float:
    return round(age.total_seconds(), 1)


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration on disk is applied (Django's own plan to migrate is empty)."""

    alias: str = DEFAULT_DB_ALIAS

    def __post_init__(self) -> None:
        self.info: dict[str, Any] = {}

    async def run(self) -> None:
        await sync_to_async(self._probe)()

    def _probe(self) -> None:
        executor = MigrationExecutor(connections[self.alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        self.info = {"unapplied": len(plan)}
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied")


@dataclasses.dataclass
class TaskQueue(HealthCheck):
    """The task backend answers, and its oldest waiting job waits no longer than `max_wait`."""

    max_wait: timedelta = dataclasses.field(
        default_factory=lambda: timedelta(seconds=settings.KETAFLOW_QUEUE_MAX_WAIT_SECONDS)
    )

    def __post_init__(self) -> None:
        self.info: dict[str, Any] = {}

    async def run(self) -> None:
        await sync_to_async(self._probe)()

    def _probe(self) -> None:
        try:
            state = selectors.queue_state(timezone.now())
        except Exception as exc:  # a Redis or database error: say which, not its text
            raise ServiceUnavailable(f"task queue unreachable ({type(exc).__name__})") from exc
        wait = state.oldest_wait
        self.info = {
            "backend": state.backend,
            "queued": state.queued,
            "oldest_wait_seconds": None if wait is None else _seconds(wait),
        }
        if wait is not None and wait > self.max_wait:
            raise ServiceUnavailable(
                f"oldest queued job has waited {_seconds(wait):g}s "
                f"(limit {_seconds(self.max_wait):g}s): is a worker running?"
            )


@dataclasses.dataclass
class Heartbeat(HealthCheck):
    """The process `name` beat within `max_age` (`services.beat`)."""

    name: str = "scheduler"
    max_age: timedelta = dataclasses.field(
        default_factory=lambda: timedelta(seconds=settings.KETAFLOW_HEARTBEAT_MAX_AGE_SECONDS)
    )

    def __post_init__(self) -> None:
        self.info: dict[str, Any] = {}

    async def run(self) -> None:
        await sync_to_async(self._probe)()

    def _probe(self) -> None:
        age = selectors.heartbeat_age(self.name, timezone.now())
        self.info = {"age_seconds": None if age is None else _seconds(age)}
        if age is None:
            raise ServiceUnavailable(f"{self.name} has never beaten")
        if age > self.max_age:
            raise ServiceUnavailable(
                f"{self.name} last beat {_seconds(age):g}s ago (limit {_seconds(self.max_age):g}s)"
            )
