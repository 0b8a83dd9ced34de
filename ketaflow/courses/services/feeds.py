"""Secret calendar feeds: issue (or regenerate) and revoke. The token is shown once."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.courses.models import CalendarFeed, Chair, FeedKind
from ketaflow.courses.services._common import locked, require
from ketaflow.patients.models import Patient

CAPABILITY = {
    FeedKind.PATIENT: Capability.BOOK_APPOINTMENTS,
    FeedKind.CHAIR: Capability.MANAGE_CHAIRS,
}


def _issue(
    actor: User, kind: str, *, patient: Patient | None, chair: Chair | None
) -> tuple[CalendarFeed, str]:
    live = CalendarFeed.objects.select_for_update().filter(
        clinic_id=actor.clinic_pk, kind=kind, patient=patient, chair=chair, revoked_at__isnull=True
    )
    now = timezone.now()
    replaced = [f.pk for f in live]
    live.update(revoked_at=now, revoked_by=actor)
    raw = CalendarFeed.new_secret()
    feed = CalendarFeed.objects.create(
        clinic_id=actor.clinic_pk,
        kind=kind,
        patient=patient,
        chair=chair,
        prefix=raw[:8],
        digest=CalendarFeed.hash(raw),
        created_by=actor,
    )
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=feed,
        patient_id=patient.pk if patient else None,
        detail={"kind": kind, "replaced": replaced},
    )
    return feed, raw


@transaction.atomic
def issue_patient_feed(actor: User, patient: Patient) -> tuple[CalendarFeed, str]:
    """A new secret URL for the patient's appointments; any earlier one stops working."""
    require(actor, CAPABILITY[FeedKind.PATIENT])
    if patient.clinic_id != actor.clinic_pk:
        raise PermissionDenied("This patient belongs to another clinic.")
    return _issue(actor, FeedKind.PATIENT, patient=patient, chair=None)


@transaction.atomic
def issue_chair_feed(actor: User, chair: Chair) -> tuple[CalendarFeed, str]:
    """A new secret URL for a chair's bookings (staff-facing); any earlier one stops working."""
    require(actor, CAPABILITY[FeedKind.CHAIR])
    if chair.clinic_id != actor.clinic_pk:
        raise PermissionDenied("This chair belongs to another clinic.")
    return _issue(actor, FeedKind.CHAIR, patient=None, chair=chair)


@transaction.atomic
def revoke_feed(actor: User, feed: CalendarFeed) -> CalendarFeed:
    require(actor, CAPABILITY[FeedKind(feed.kind)])
    feed = locked(CalendarFeed.objects.filter(clinic_id=actor.clinic_pk), feed.pk)
    if feed.revoked_at is not None:
        raise ValidationError({"feed": ["This feed was already revoked."]})
    feed.revoked_at = timezone.now()
    feed.revoked_by = actor
    feed.save()
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=feed,
        patient_id=feed.patient_id,
        detail={"revoked": feed.kind},
    )
    return feed
