"""The one REMS write: marking the official form for a signed session submitted."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ketaflow.accounts.models import User
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.treatments.models import RemsSubmission, SessionStatus
from ketaflow.treatments.rems.selectors import esketamine_session


@transaction.atomic
def mark_submitted(actor: User, pk: int, *, reference: str = "") -> RemsSubmission:
    """Record that the official form for this signed esketamine session was submitted."""
    session = esketamine_session(actor, pk)
    if session.status != SessionStatus.SIGNED:
        raise ValidationError({"__all__": ["Sign the session before submitting its REMS form."]})
    if RemsSubmission.objects.filter(session=session).exists():
        raise ValidationError(
            {"__all__": ["This session's REMS form is already marked submitted."]}
        )
    try:
        with transaction.atomic():
            row = RemsSubmission.objects.create(
                session=session, reference=reference.strip()[:120], submitted_by=actor
            )
    except IntegrityError:
        raise ValidationError(
            {"__all__": ["This session's REMS form is already marked submitted."]}
        ) from None
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=row,
        patient_id=session.patient_id,
        clinic_id=session.clinic_id,
        detail={"session": session.pk, "what": "rems_form_submitted", "reference": row.reference},
    )
    return row
