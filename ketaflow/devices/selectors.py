"""Reads for device feeds, scoped to the actor's clinic and audited.

Device readings and held messages are patient data: read by whoever charts sessions
(CHART_SESSION). Bindings and mappings are set-up, read by clinic admins (MANAGE_DEVICES).
Another clinic's row is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.devices.matching import ACTIVE_STATUSES
from ketaflow.devices.models import (
    CodeMapping,
    DeviceReading,
    InboundMessage,
    MessageStatus,
    MonitorBinding,
    ReadingStatus,
)
from ketaflow.treatments.models import TreatmentSession


def _audit_list(actor: User, what: str, patient_id: int | None = None, **detail: Any) -> None:
    record_event(
        actor=actor,
        action=Action.LIST,
        patient_id=patient_id,
        clinic_id=actor.clinic_id,
        detail={"part": what, **detail},
    )


def session_readings(
    actor: User, session_id: int, *, pending_only: bool = False, audit: bool = True
) -> list[DeviceReading]:
    """A session's device readings, newest first (pending ones only if asked)."""
    require(actor, Capability.CHART_SESSION)
    session = (
        TreatmentSession.objects.filter(pk=session_id, clinic_id=actor.clinic_pk)
        .only("pk", "patient_id")
        .first()
    )
    if session is None:
        raise Http404("No such session in your clinic.")
    qs = DeviceReading.objects.filter(session=session).select_related("message", "decided_by")
    if pending_only:
        qs = qs.filter(status=ReadingStatus.PENDING)
    rows = list(qs)
    if audit:
        _audit_list(actor, "device_readings", session.patient_id, session=session.pk)
    return rows


def get_reading(actor: User, reading_id: int) -> DeviceReading:
    require(actor, Capability.CHART_SESSION)
    row = (
        DeviceReading.objects.select_related("session", "message", "decided_by")
        .filter(pk=reading_id, clinic_id=actor.clinic_pk)
        .first()
    )
    if row is None:
        raise Http404("No such device reading in your clinic.")
    record_event(actor=actor, action=Action.VIEW, obj=row, patient_id=row.session.patient_id)
    return row


def held_messages(actor: User, *, include_resolved: bool = False) -> list[InboundMessage]:
    """The holding queue: messages not matched to a session (resolved ones too if asked)."""
    require(actor, Capability.CHART_SESSION)
    statuses = [MessageStatus.HELD]
    if include_resolved:
        statuses += [MessageStatus.ASSIGNED, MessageStatus.DISMISSED]
    rows = list(
        InboundMessage.objects.filter(clinic_id=actor.clinic_pk, status__in=statuses)
        .select_related("resolved_by", "session__patient")
        .order_by("-received_at", "-pk")[:200]
    )
    _audit_list(actor, "hl7_holding_queue", count=len(rows))
    return rows


def get_message(actor: User, message_id: int) -> InboundMessage:
    require(actor, Capability.CHART_SESSION)
    row = InboundMessage.objects.filter(pk=message_id, clinic_id=actor.clinic_pk).first()
    if row is None:
        raise Http404("No such message in your clinic.")
    record_event(actor=actor, action=Action.VIEW, obj=row, patient_id=None)
    return row


def active_sessions(actor: User) -> QuerySet[TreatmentSession]:
    """Sessions a held message can be assigned to (no audit: names shown only in a picker
    that the queue page's own audit event covers)."""
    require(actor, Capability.CHART_SESSION)
    return (
        TreatmentSession.objects.filter(clinic_id=actor.clinic_pk, status__in=ACTIVE_STATUSES)
        .select_related("patient", "chair")
        .order_by("chair__name", "pk")
    )


def pending_count(actor: User) -> int:
    """How many held messages wait (for a badge; counts only, no patient data)."""
    if not actor.can(Capability.CHART_SESSION):
        return 0
    return InboundMessage.objects.filter(
        clinic_id=actor.clinic_pk, status=MessageStatus.HELD
    ).count()


def bindings(actor: User) -> list[MonitorBinding]:
    require(actor, Capability.MANAGE_DEVICES)
    return list(MonitorBinding.objects.filter(clinic_id=actor.clinic_pk).select_related("chair"))


def mappings(actor: User) -> list[CodeMapping]:
    require(actor, Capability.MANAGE_DEVICES)
    return list(CodeMapping.objects.filter(clinic_id=actor.clinic_pk))


def held_count_for_setup(actor: User) -> int:
    """How many held messages wait, for whoever sets up the feeds (a number only: a held
    message is often a monitor not bound to a chair or a code not mapped)."""
    if not actor.can(Capability.MANAGE_DEVICES):
        return 0
    return InboundMessage.objects.filter(
        clinic_id=actor.clinic_pk, status=MessageStatus.HELD
    ).count()
