"""Reads of the audit log, for roles that may read it (VIEW_AUDIT), within their own clinic.

Reading the audit log is itself recorded (action "list", detail part "audit_log"), without
a patient, so that looking at a patient's access log does not show up in that same log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import AccessEvent, Action
from ketaflow.audit.services import record_event

if TYPE_CHECKING:
    from ketaflow.accounts.models import User


def _require_audit(actor: User) -> int:
    if not actor.can(Capability.VIEW_AUDIT):
        raise PermissionDenied("Only a clinic admin can read the audit log.")
    return actor.clinic_pk


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def events_for(
    actor: User,
    *,
    patient_id: int | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AccessEvent]:
    """The clinic's audit events, newest first, filtered; `since` inclusive, `until` exclusive.

    Naive date-times are read in the current (clinic) time zone.
    """
    clinic_id = _require_audit(actor)
    if action is not None and action not in Action.values:
        raise ValidationError({"action": [f"Choose one of: {', '.join(Action.values)}."]})
    qs = AccessEvent.objects.filter(clinic_id=clinic_id)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if action is not None:
        qs = qs.filter(action=action)
    if since is not None:
        qs = qs.filter(at__gte=_aware(since))
    if until is not None:
        qs = qs.filter(at__lt=_aware(until))
    filters = {
        "patient_id": patient_id,
        "actor_id": actor_id,
        "action": action,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={"part": "audit_log", "filters": {k: v for k, v in filters.items() if v}},
    )
    return qs.select_related("actor").order_by("-at", "-id")


def patient_access_log(actor: User, patient_id: int) -> QuerySet[AccessEvent]:
    """Everyone who read or changed this patient's record, newest first.

    Covers events tied to the patient (views of demographics or chart, chart entries,
    amendments); searches that merely listed the patient are not included.
    """
    from ketaflow.patients.models import Patient

    clinic_id = _require_audit(actor)
    if not Patient.objects.filter(pk=patient_id, clinic_id=clinic_id).exists():
        raise Http404("No such patient in your clinic.")
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={"part": "audit_log", "filters": {"patient_access_log": patient_id}},
    )
    return (
        AccessEvent.objects.filter(clinic_id=clinic_id, patient_id=patient_id)
        .select_related("actor")
        .order_by("-at", "-id")
    )


# What a patient may see of who read or changed their record: staff only, by name and role.
PATIENT_REPORT_DAYS = 365
PATIENT_REPORT_ROWS = 500


def access_report_for_patient(patient_id: int, clinic_id: int) -> list[AccessEvent]:
    """The clinic staff who read or changed this patient's record in the last year, newest
    first (the patient's own access report, §170.315(d)(2)/(3) and HIPAA's accounting of
    access). Only events tied to this patient; the patient's own portal visits are left out;
    details are never shown (they may name the records read, which the names and roles
    already stand for). The caller has authorised the patient (the portal link)."""
    since = timezone.now() - timedelta(days=PATIENT_REPORT_DAYS)
    return list(
        AccessEvent.objects.filter(
            clinic_id=clinic_id, patient_id=patient_id, actor__isnull=False, at__gte=since
        )
        .select_related("actor__clinic")
        .order_by("-at", "-id")[:PATIENT_REPORT_ROWS]
    )
