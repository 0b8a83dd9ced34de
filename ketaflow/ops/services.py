"""Writes of the ops app: a process's heartbeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ketaflow.ops.models import Heartbeat

#: Longest heartbeat name; `hl7:` and a clinic slug fit.
NAME_MAX = 120


def beat(name: str, now: datetime, details: dict[str, Any] | None = None) -> None:
    """Record that the process `name` is alive at `now` (one UPSERT; call it every few
    seconds from the process's own loop, not per unit of work).

    `details` replaces the previous ones: small, plain JSON about the process (counters since
    it started), never patient data. Names in use: "scheduler", "hl7:<clinic slug>".
    """
    if not name or len(name) > NAME_MAX:
        raise ValueError(f"a heartbeat name is 1-{NAME_MAX} characters")
    if now.tzinfo is None:
        raise ValueError("a heartbeat's time must be aware")
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, last_beat_at=now, details=details or {})],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["last_beat_at", "details"],
    )
