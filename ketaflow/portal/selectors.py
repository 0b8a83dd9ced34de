"""Staff reads of the portal: due and overdue forms, risk alerts, links, rules. Scoped, audited.

Seeing who has forms due or a risk alert is reading clinical data (VIEW_CLINICAL); another
clinic's record is "not found". Lists are audited with the patients they showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require, require_any
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.instruments import get_instrument
from ketaflow.clinical.questionnaire_schedule import OccurrenceStatus, open_now
from ketaflow.courses.models import Course
from ketaflow.patients.models import Patient
from ketaflow.portal import derive
from ketaflow.portal.models import PortalLink, RuleScope, ScheduleRule
from ketaflow.questionnaires.models import RiskAlert

READ = (Capability.VIEW_CLINICAL,)
MANAGE = Capability.SEND_QUESTIONNAIRES


@dataclass(frozen=True)
class DueRow:
    """A form due or overdue for a patient, for the staff list."""

    patient: Patient
    course: Course
    instrument: str
    instrument_name: str
    due_on: date
    closes_on: date
    status: OccurrenceStatus

    @property
    def overdue(self) -> bool:
        return self.status is OccurrenceStatus.OVERDUE


def due_forms(actor: User, *, now: datetime | None = None) -> list[DueRow]:
    """Every form due or overdue in the actor's clinic, longest-waiting first; audited."""
    require(actor, Capability.VIEW_CLINICAL)
    clinic = actor.clinic
    assert clinic is not None
    today = derive.clinic_today(clinic, now or timezone.now())
    rows = [
        DueRow(
            patient=course.patient,
            course=course,
            instrument=o.instrument,
            instrument_name=get_instrument(o.instrument).name,
            due_on=o.due_on,
            closes_on=o.closes_on,
            status=o.status,
        )
        for course in derive.open_courses(clinic)
        for o in open_now(derive.course_occurrences(course, today))
    ]
    rows.sort(key=lambda r: (r.due_on, r.patient.family_name, r.patient.pk, r.instrument))
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={
            "part": "questionnaires_due",
            "patient_ids": sorted({r.patient.pk for r in rows}),
        },
    )
    return rows


def _alerts(actor: User) -> QuerySet[RiskAlert]:
    require(actor, Capability.VIEW_CLINICAL)
    return RiskAlert.objects.filter(clinic_id=actor.clinic_pk).select_related(
        "patient", "response__recorded_by", "acknowledged_by"
    )


def open_alert_count(actor: User) -> int:
    """How many risk alerts wait for someone (a number only: not audited)."""
    if not actor.can(Capability.VIEW_CLINICAL):
        return 0
    return _alerts(actor).filter(acknowledged_at__isnull=True).count()


def risk_alerts(actor: User, *, open_only: bool = False) -> list[RiskAlert]:
    """The clinic's risk alerts, open ones first then newest; audited."""
    qs = _alerts(actor)
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    alerts = sorted(qs, key=lambda a: (a.acknowledged_at is not None, -a.raised_at.timestamp()))
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={"part": "risk_alerts", "patient_ids": sorted({a.patient_id for a in alerts})},
    )
    return alerts


def get_alert(actor: User, pk: int) -> RiskAlert:
    try:
        alert = _alerts(actor).get(pk=pk)
    except RiskAlert.DoesNotExist:
        raise Http404("No such alert in your clinic.") from None
    record_event(actor=actor, action=Action.VIEW, obj=alert)
    return alert


def _patient(actor: User, patient_id: int) -> Patient:
    try:
        return Patient.objects.select_related("clinic").get(
            pk=patient_id, clinic_id=actor.clinic_pk
        )
    except Patient.DoesNotExist:
        raise Http404("No such patient in your clinic.") from None


def patient_links(actor: User, patient_id: int) -> tuple[Patient, list[PortalLink]]:
    """A patient's questionnaire links (newest first); for staff who issue them; audited."""
    require_any(actor, MANAGE)
    patient = _patient(actor, patient_id)
    links = list(PortalLink.objects.filter(patient=patient).select_related("created_by"))
    record_event(actor=actor, action=Action.VIEW, obj=patient, detail={"part": "portal_links"})
    return patient, links


def link_patient(actor: User, patient_id: int) -> Patient:
    """The patient to issue a link for (the issue service audits the write)."""
    require_any(actor, MANAGE)
    return _patient(actor, patient_id)


def get_link(actor: User, pk: int) -> PortalLink:
    require_any(actor, MANAGE)
    try:
        return PortalLink.objects.select_related("patient").get(pk=pk, clinic_id=actor.clinic_pk)
    except PortalLink.DoesNotExist:
        raise Http404("No such link in your clinic.") from None


def is_live(link: PortalLink, now: datetime | None = None) -> bool:
    return link.revoked_at is None and link.expires_at > (now or timezone.now())


def schedule_rules(actor: User, *, include_retired: bool = False) -> list[ScheduleRule]:
    require_any(actor, MANAGE, Capability.VIEW_CLINICAL)
    qs = ScheduleRule.objects.filter(clinic_id=actor.clinic_pk).select_related(
        "course__patient", "created_by", "retired_by"
    )
    if not include_retired:
        qs = qs.filter(retired_at__isnull=True)
    return list(qs)


def get_rule(actor: User, pk: int) -> ScheduleRule:
    require(actor, MANAGE)
    try:
        return ScheduleRule.objects.get(pk=pk, clinic_id=actor.clinic_pk)
    except ScheduleRule.DoesNotExist:
        raise Http404("No such rule in your clinic.") from None


def rule_course(actor: User, course_id: int) -> Course:
    """A course of the actor's clinic, for a course-scoped rule."""
    require(actor, MANAGE)
    try:
        return Course.objects.select_related("patient").get(
            pk=course_id, patient__clinic_id=actor.clinic_pk
        )
    except Course.DoesNotExist:
        raise Http404("No such course in your clinic.") from None


def protocol_codes(actor: User) -> list[tuple[str, str]]:
    """(code, name) of the clinic's protocols, for protocol-scoped rules."""
    from ketaflow.courses.models import ProtocolVersion

    seen: dict[str, str] = {}
    for code, name in (
        ProtocolVersion.objects.filter(clinic_id=actor.clinic_pk)
        .order_by("code", "-version")
        .values_list("code", "name")
    ):
        seen.setdefault(code, name)
    return sorted(seen.items())


__all__ = [
    "DueRow",
    "RuleScope",
    "due_forms",
    "get_alert",
    "get_link",
    "get_rule",
    "is_live",
    "link_patient",
    "open_alert_count",
    "patient_links",
    "protocol_codes",
    "risk_alerts",
    "rule_course",
    "schedule_rules",
]
