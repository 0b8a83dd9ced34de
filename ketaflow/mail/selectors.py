"""Reading the email outbox: what a clinic admin must see (emails Ketaflow gave up on)."""

from __future__ import annotations

from django.db.models import QuerySet

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.mail.models import OutboxMessage, OutboxStatus


def failed_messages(actor: User) -> QuerySet[OutboxMessage]:
    """The clinic's emails that failed every attempt, newest first (clinic admins only)."""
    require(actor, Capability.MANAGE_USERS)
    record_event(
        actor=actor, action=Action.LIST, clinic_id=actor.clinic_pk, detail={"failed_emails": True}
    )
    return OutboxMessage.objects.filter(clinic_id=actor.clinic_pk, status=OutboxStatus.FAILED)


def failed_count(actor: User) -> int:
    """How many of the clinic's emails failed (for a worklist badge; not audited: no content)."""
    if not actor.can(Capability.MANAGE_USERS):
        return 0
    return OutboxMessage.objects.filter(
        clinic_id=actor.clinic_pk, status=OutboxStatus.FAILED
    ).count()
