"""Scoped, audited reads of REMS records: one session's record, and the forms due.

Charting staff of the session's clinic only; another clinic's session is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.routes import Route
from ketaflow.lib.clock import local
from ketaflow.treatments.models import EventKind, SessionStatus, TreatmentSession
from ketaflow.treatments.rems.assembly import assemble, require_esketamine
from ketaflow.treatments.rems.form import (
    FORM_VERSION,
    SUBMIT_WITHIN_DAYS,
    RemsForm,
)


def _require(actor: User) -> None:
    if not actor.can(Capability.CHART_SESSION):
        raise PermissionDenied("Your role cannot see treatment sessions or REMS records.")


def esketamine_session(actor: User, pk: int) -> TreatmentSession:
    """The actor's clinic's session (404 otherwise); NotApplicable for other routes."""
    _require(actor)
    try:
        session = TreatmentSession.objects.select_related(
            "patient__clinic", "protocol_version", "signed_by", "checked_in_by"
        ).get(pk=pk, clinic_id=actor.clinic_pk)
    except TreatmentSession.DoesNotExist:
        raise Http404("No such session in your clinic.") from None
    require_esketamine(session)
    return session


def export_form(actor: User, pk: int, *, fmt: str, now: datetime | None = None) -> RemsForm:
    """The record for one session, audited as an export (`fmt`: "html" or "pdf")."""
    session = esketamine_session(actor, pk)
    form = assemble(session, now=now)
    record_event(
        actor=actor,
        action=Action.EXPORT,
        obj=session,
        patient_id=session.patient_id,
        clinic_id=session.clinic_id,
        detail={
            "part": "rems_monitoring_record",
            "format": fmt,
            "form_version": FORM_VERSION,
            "draft": form.draft,
            "missing": [m.field for m in form.missing],
        },
    )
    return form


@dataclass(frozen=True)
class DueRow:
    session: TreatmentSession
    session_date: date
    submit_by: date
    overdue: bool
    today: date

    @property
    def days_left(self) -> int:
        return (self.submit_by - self.today).days

    @property
    def signed(self) -> bool:
        return self.session.status == SessionStatus.SIGNED

    @property
    def label(self) -> str:
        """ "due in N days", "due today" or "overdue by N days" (the REMS 7-day window)."""
        return due_label(self.days_left)


def due_label(days_left: int) -> str:
    if days_left < 0:
        late = -days_left
        return f"overdue by {late} day{'s' if late != 1 else ''}"
    if days_left == 0:
        return "due today"
    return f"due in {days_left} day{'s' if days_left != 1 else ''}"


def _dosed(session: TreatmentSession) -> bool:
    """Esketamine was given (a device use in force): the session owes a REMS form."""
    return session.events.filter(kind=EventKind.BOLUS, entered_in_error_at__isnull=True).exists()


def _session_day(session: TreatmentSession) -> date:
    first = (
        session.events.filter(kind=EventKind.BOLUS, entered_in_error_at__isnull=True)
        .order_by("at", "pk")
        .first()
    )
    return local(first.at if first else session.checked_in_at, session.patient.clinic).date()


#: A session is on the REMS list once esketamine was given: the form is owed for every
#: outpatient session within 7 days of the session itself, signed yet or not (S3).
DOSED: Final = (SessionStatus.IN_PROGRESS, SessionStatus.OBSERVING, SessionStatus.DISCHARGED)


def forms_due(actor: User, *, now: datetime | None = None) -> tuple[list[DueRow], list[DueRow]]:
    """(due, overdue): dosed esketamine sessions whose official form is not marked submitted.

    The REMS asks for the form within 7 days of every outpatient session (S3), so the clock
    runs from the session day, not from signing, and an unsigned session is listed too
    (its record is a draft until signed). Overdue: past the 7 days; it stays on the list
    until someone marks the form submitted.
    """
    _require(actor)
    now = now or timezone.now()
    today = local(now, actor.clinic).date() if actor.clinic else now.date()
    due, overdue = _due_in_clinic(actor.clinic_pk, today)
    _audit_due(due + overdue, actor=actor, clinic_id=actor.clinic_pk)
    return due, overdue


def forms_due_of_clinic(
    clinic: Clinic, *, now: datetime, job: str
) -> tuple[list[DueRow], list[DueRow]]:
    """`forms_due` for a background job (no user): the same list, audited under `job`."""
    due, overdue = _due_in_clinic(clinic.pk, local(now, clinic).date())
    _audit_due(due + overdue, actor=None, clinic_id=clinic.pk, actor_label=job)
    return due, overdue


def _due_in_clinic(clinic_id: int, today: date) -> tuple[list[DueRow], list[DueRow]]:
    rows = list(
        TreatmentSession.objects.filter(
            clinic_id=clinic_id,
            route=Route.INTRANASAL.value,
            status__in=(SessionStatus.SIGNED, *DOSED),
            rems_submission__isnull=True,
        )
        .select_related("patient__clinic", "signed_by")
        .order_by("checked_in_at", "pk")
    )
    due: list[DueRow] = []
    overdue: list[DueRow] = []
    for s in rows:
        if s.status != SessionStatus.SIGNED and not _dosed(s):
            continue
        day = _session_day(s)
        by = day + timedelta(days=SUBMIT_WITHIN_DAYS)
        late = by < today
        (overdue if late else due).append(DueRow(s, day, by, late, today))
    return due, overdue


def _audit_due(
    rows: list[DueRow], *, actor: User | None, clinic_id: int, actor_label: str | None = None
) -> None:
    record_event(
        actor=actor,
        actor_label=actor_label,
        action=Action.LIST,
        clinic_id=clinic_id,
        detail={
            "part": "rems_forms_due",
            "patient_ids": sorted({r.session.patient_id for r in rows}),
        },
    )
