"""Writing audit events. Called by every service and selector that touches patient data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import models

from ketaflow.audit import context
from ketaflow.audit.context import RequestContext
from ketaflow.audit.models import AccessEvent, Action


class Actor(Protocol):
    """Who acted: a signed-in `accounts.User` (the audit log sits below accounts)."""

    @property
    def pk(self) -> Any: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def clinic_id(self) -> int | None: ...


def _patient_id_of(obj: models.Model | None) -> int | None:
    if obj is None:
        return None
    if obj._meta.label == "patients.Patient":
        return int(obj.pk)
    pid = getattr(obj, "patient_id", None)
    return int(pid) if pid is not None else None


def record_event(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    patient_id: int | None = None,
    clinic_id: int | None = None,
    detail: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AccessEvent:
    """Append one event. The request's address and id come from the request context."""
    event = _row(
        Event(actor, action, obj, patient_id, clinic_id, detail, actor_label), context.current()
    )
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class Event:
    """One event for `record_events`: `record_event`'s arguments, plus the request context it
    belongs to when a batch holds several (None: the current request's)."""

    actor: Actor | None
    action: str
    obj: models.Model | None = None
    patient_id: int | None = None
    clinic_id: int | None = None
    detail: dict[str, Any] | None = None
    actor_label: str | None = None
    context: RequestContext | None = None


def record_events(events: Iterable[Event]) -> list[AccessEvent]:
    """Append many events in one insert (the HL7 listener writes one per stored message).

    Each row has exactly the fields `record_event` would give it; an event without its own
    context takes the current request's.
    """
    current = context.current()
    rows = [_row(e, e.context or current) for e in events]
    return AccessEvent.objects.bulk_create(rows) if rows else []


def _row(e: Event, ctx: RequestContext | None) -> AccessEvent:
    """The unsaved row for an event: who, what, and where the request came from."""
    if e.action not in Action.values:
        raise ValueError(f"unknown audit action {e.action!r}")
    actor, obj = e.actor, e.obj
    patient_id = e.patient_id if e.patient_id is not None else _patient_id_of(obj)
    clinic_id = e.clinic_id
    if clinic_id is None:
        clinic_id = getattr(obj, "clinic_id", None) or (actor.clinic_id if actor else None)
    label = e.actor_label or (
        f"{actor.username} ({actor.role or 'superuser'})" if actor is not None else "system"
    )
    return AccessEvent(
        actor_id=actor.pk if actor is not None and actor.pk else None,
        actor_label=label[:200],
        clinic_id=clinic_id,
        patient_id=patient_id,
        action=e.action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        detail=e.detail or {},
        ip_address=ctx.ip_address if ctx else None,
        user_agent=ctx.user_agent if ctx else "",
        request_id=ctx.request_id if ctx else "",
        path=ctx.path if ctx else "",
        channel=ctx.channel if ctx else "system",
    )
