"""Breaking the glass, and reviewing it afterwards.

`request_grant`: a designated clinician (`User.can_break_glass`) names a clinic of their own
organisation and a patient of it by exact identifiers (date of birth and the MRN or the
family name: no browsing), gives a reason, and gets a grant for the clinic's minutes. The
grant, its audit events (in both clinics' logs) and the emails to both clinics' admins commit
together.

Every refusal (not designated, a clinic outside the organisation, no reason, no patient with
those identifiers) is audited as `denied` before the error is raised: the denial is written
outside any transaction the refusal could roll back.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from ketaflow.accounts.models import EMERGENCY_MINUTES_MAX, Clinic, User
from ketaflow.accounts.roles import Capability, Role
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.emergency.models import EmergencyGrant, EmergencyKind, GrantReview, ReviewOutcome
from ketaflow.mail.services import queue_message
from ketaflow.patients.models import Patient
from ketaflow.patients.selectors import name_key

#: A reason must say something: at least this many characters of free text.
REASON_MIN_CHARS = 20
EMAIL_KIND = "emergency_access"


def _refuse(actor: User, why: str, error: Exception, **detail: Any) -> NoReturn:
    """Audit the refusal as denied (committed whatever the caller does next), then raise."""
    record_event(
        actor=actor,
        action=Action.DENIED,
        detail={"emergency_access": "refused", "why": why, **detail},
    )
    raise error


def require_designated(actor: User, **asked: Any) -> None:
    """Refuse (audited) anyone not designated for emergency access."""
    if not actor.can_break_glass:
        _refuse(
            actor,
            "not designated",
            PermissionDenied("You are not designated for emergency access."),
            **asked,
        )


def _find_patient(
    clinic: Clinic, date_of_birth: date, mrn: str, family_name: str
) -> Patient | None:
    """The one patient of `clinic` with this date of birth and MRN (exact, case aside) or,
    without an MRN, this family name (accents, case and punctuation aside); None when none or
    several match (then the MRN is needed)."""
    born = Patient.objects.filter(clinic=clinic, date_of_birth=date_of_birth)
    if mrn.strip():
        return born.filter(mrn__iexact=mrn.strip()).first()
    wanted = name_key(family_name)
    if not wanted:
        return None
    found = [p for p in born if name_key(p.family_name) == wanted]
    return found[0] if len(found) == 1 else None


def request_grant(
    actor: User,
    *,
    clinic_id: int,
    date_of_birth: date,
    mrn: str = "",
    family_name: str = "",
    kind: str,
    reason: str,
    now: datetime,
) -> EmergencyGrant:
    """Break the glass (see the module's notes). Returns the new grant."""
    asked = {
        "clinic": clinic_id,
        "date_of_birth": date_of_birth.isoformat(),
        "by": "mrn" if mrn.strip() else "family_name",
    }
    require_designated(actor, **asked)
    assert actor.clinic is not None
    target = Clinic.objects.filter(pk=clinic_id).first()
    if target is None or target.organisation_id != actor.clinic.organisation_id:
        _refuse(
            actor,
            "another organisation",
            PermissionDenied("That clinic is not part of your organisation."),
            **asked,
        )
    if target.pk == actor.clinic_id:
        raise ValidationError({"clinic": "Your own clinic's patients are on the patient list."})
    reason = reason.strip()
    if kind not in EmergencyKind.values or len(reason) < REASON_MIN_CHARS:
        _refuse(
            actor,
            "no reason",
            ValidationError(
                {
                    "reason": f"Choose what the emergency is and say why, in at least "
                    f"{REASON_MIN_CHARS} characters."
                }
            ),
            **asked,
        )
    patient = _find_patient(target, date_of_birth, mrn, family_name)
    if patient is None:
        _refuse(
            actor,
            "patient not found",
            ValidationError(
                "No single patient of that clinic has exactly these identifiers. Check the "
                "date of birth, and give the MRN if you used the family name."
            ),
            **asked,
        )
    return _grant(actor, patient, target, kind, reason, now)


@transaction.atomic
def _grant(
    actor: User, patient: Patient, target: Clinic, kind: str, reason: str, now: datetime
) -> EmergencyGrant:
    assert actor.clinic is not None
    minutes = min(actor.clinic.emergency_access_minutes, EMERGENCY_MINUTES_MAX)
    grant = EmergencyGrant.objects.create(
        clinic=actor.clinic,
        user=actor,
        patient=patient,
        patient_clinic=target,
        kind=kind,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    detail = {
        "emergency": True,
        "grant": grant.pk,
        "kind": kind,
        "reason": reason,
        "minutes": minutes,
        "by_clinic": actor.clinic.name,
    }
    # In the patient's clinic's log (and the patient's own access report) ...
    record_event(actor=actor, action=Action.CREATE, obj=grant, clinic_id=target.pk, detail=detail)
    # ... and in the clinician's clinic's log (its pages list only their own clinic's patients,
    # so the row names the grant there, never the chart).
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=grant,
        clinic_id=actor.clinic.pk,
        detail={**detail, "patient_clinic": target.name},
    )
    _email_admins(grant, now)
    return grant


def _admin_emails(clinic_id: int) -> list[str]:
    return sorted(
        User.objects.filter(clinic_id=clinic_id, role=Role.CLINIC_ADMIN, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _email_admins(grant: EmergencyGrant, now: datetime) -> None:
    """One email to each clinic's admins, with the grant: no patient name (email is not
    secure), who broke the glass and a link to the review."""
    url = settings.KETAFLOW_PUBLIC_URL.rstrip("/") + reverse("emergency:reviews")
    who = f"{grant.user.display_name} ({grant.user.get_role_display()}, {grant.clinic.name})"
    body = (
        f"{who} used emergency access (break-glass) to read the record of a patient of "
        f"{grant.patient_clinic.name} until {grant.expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
        f"Reason: {grant.get_kind_display()}.\n\n"
        f"Review it (appropriate or not) on the emergency access page:\n{url}\n"
    )
    for clinic_id in dict.fromkeys((grant.patient_clinic_id, grant.clinic_id)):
        recipients = _admin_emails(clinic_id)
        if recipients:
            queue_message(
                clinic_id=clinic_id,
                key=f"{EMAIL_KIND}:{grant.pk}:{clinic_id}",
                kind=EMAIL_KIND,
                subject="Ketaflow: emergency access to a patient's record, to review",
                body=body,
                recipients=recipients,
                refs=[grant.pk],
                now=now,
            )


@transaction.atomic
def review_grant(
    actor: User, grant: EmergencyGrant, *, outcome: str, note: str, now: datetime
) -> GrantReview:
    """A clinic admin of the patient's or the clinician's clinic judges a grant, once."""
    if not actor.can(Capability.REVIEW_EMERGENCY_ACCESS) or actor.clinic_id not in (
        grant.clinic_id,
        grant.patient_clinic_id,
    ):
        raise PermissionDenied("Only a clinic admin of either clinic can review this access.")
    if GrantReview.objects.filter(grant=grant, clinic_id=actor.clinic_id).exists():
        raise ValidationError("Your clinic has already reviewed this access.")
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": "Say whether the access was appropriate."})
    note = note.strip()
    if outcome == ReviewOutcome.INAPPROPRIATE and not note:
        raise ValidationError({"note": "Say what was inappropriate and what was done about it."})
    review = GrantReview.objects.create(
        grant=grant,
        clinic_id=actor.clinic_pk,
        outcome=outcome,
        note=note,
        reviewed_by=actor,
        reviewed_at=now,
    )
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=review,
        clinic_id=actor.clinic_pk,
        detail={"emergency_review": grant.pk, "outcome": outcome, "note": note},
    )
    return review
