"""Writing audit events. Called by every service and selector that touches patient data."""

from __future__ import annotations

from typing import Any, Protocol

from django.db import models

from ketaflow.audit import context
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
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    ctx = context.current()
    if patient_id is None:
        patient_id = _patient_id_of(obj)
    if clinic_id is None:
        clinic_id = getattr(obj, "clinic_id", None) or (actor.clinic_id if actor else None)
    label = actor_label or (
        f"{actor.username} ({actor.role or 'superuser'})" if actor is not None else "system"
    )
    return AccessEvent.objects.create(
        actor_id=actor.pk if actor is not None and actor.pk else None,
        actor_label=label[:200],
        clinic_id=clinic_id,
        patient_id=patient_id,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        detail=detail or {},
        ip_address=ctx.ip_address if ctx else None,
        user_agent=ctx.user_agent if ctx else "",
        request_id=ctx.request_id if ctx else "",
        path=ctx.path if ctx else "",
        channel=ctx.channel if ctx else "system",
    )
