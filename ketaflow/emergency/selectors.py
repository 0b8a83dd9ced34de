"""Reads under emergency access, and of the grants themselves.

Why a selector of its own: every other read in Ketaflow is scoped to the actor's clinic
(`patients.selectors._scoped` and its kin), and none of them is loosened for break-glass. The
emergency view reads one patient of another clinic only through `emergency_view`, which asks
for an open grant of this user for this patient first, reads a fixed, read-only summary, and
audits the read in the patient's clinic's log, marked emergency and naming the grant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical import administration as adm
from ketaflow.courses.models import Course, CoursePhase
from ketaflow.emergency.models import EmergencyGrant, GrantReview
from ketaflow.patients.models import Allergy, Diagnosis, Medication, Patient
from ketaflow.questionnaires.models import RiskAlert
from ketaflow.treatments import derive
from ketaflow.treatments.models import TreatmentSession

#: How many of the patient's latest sessions the emergency view shows.
RECENT_SESSIONS = 5


class GrantExpired(PermissionDenied):
    """The grant's time is over: nothing more is shown under it."""


def other_clinics(actor: User) -> QuerySet[Clinic]:
    """The clinics a designated clinician may break the glass into: the others of their
    organisation. Empty for anyone not designated."""
    if not actor.can_break_glass:
        return Clinic.objects.none()
    assert actor.clinic is not None and actor.clinic.organisation_id is not None
    return Clinic.objects.filter(organisation_id=actor.clinic.organisation_id).exclude(
        pk=actor.clinic_pk
    )


def my_grants(actor: User) -> QuerySet[EmergencyGrant]:
    """The actor's own grants, newest first (open and expired)."""
    return EmergencyGrant.objects.filter(user=actor).select_related("patient", "patient_clinic")


@dataclass(frozen=True)
class SessionSummary:
    session: TreatmentSession
    ordered_mg: float | None
    delivered_mg: float
    readings: list[derive.ReadingView]


@dataclass(frozen=True)
class EmergencyView:
    grant: EmergencyGrant
    patient: Patient
    now: datetime
    allergies: list[Allergy]
    medications: list[Medication]
    diagnoses: list[Diagnosis]
    open_risk_alerts: list[RiskAlert]
    course: Course | None
    sessions: list[SessionSummary]

    @property
    def minutes_left(self) -> int:
        """Whole minutes left, rounded up (59 min 59 s reads "60 minutes left")."""
        seconds = (self.grant.expires_at - self.now).total_seconds()
        return max(0, math.ceil(seconds / 60))


def _session_summary(session: TreatmentSession) -> SessionSummary:
    rows = derive.load_rows([session])[session.pk]
    record = derive.record_of(session, rows)
    end = record.last_event_at
    order = derive.confirmed_order(session, rows)
    return SessionSummary(
        session=session,
        ordered_mg=order.dose_mg if order is not None else None,
        delivered_mg=adm.delivered_mg(record, end) if end is not None else 0.0,
        readings=derive.reading_views(session, record, rows),
    )


def open_grant(actor: User, grant_id: int, now: datetime) -> EmergencyGrant:
    """The actor's own grant, still open: another's is "not found", an expired one refused
    (`GrantExpired`), and so is any grant once the actor is no longer designated."""
    grant = (
        EmergencyGrant.objects.filter(pk=grant_id, user=actor)
        .select_related("patient", "patient_clinic", "clinic")
        .first()
    )
    if grant is None:
        raise Http404("No such emergency access of yours.")
    if not actor.can_break_glass:
        raise PermissionDenied("You are no longer designated for emergency access.")
    if not grant.is_open_at(now):
        raise GrantExpired("This emergency access has expired. Break the glass again if needed.")
    return grant


def emergency_view(actor: User, grant_id: int, now: datetime) -> EmergencyView:
    """The read-only emergency summary of the grant's patient (audited, marked emergency)."""
    grant = open_grant(actor, grant_id, now)
    patient = grant.patient
    active = {"patient": patient, "status": RecordStatus.ACTIVE}
    medications = [
        m
        for m in Medication.objects.filter(**active)
        if m.stopped_on is None or m.stopped_on >= now.date()
    ]
    course = (
        Course.objects.filter(patient=patient)
        .exclude(phase=CoursePhase.ENDED)
        .select_related("protocol_version")
        .first()
    )
    sessions = list(
        TreatmentSession.objects.filter(patient=patient)
        .select_related("protocol_version", "chair")
        .order_by("-checked_in_at", "-pk")[:RECENT_SESSIONS]
    )
    view = EmergencyView(
        grant=grant,
        patient=patient,
        now=now,
        allergies=list(Allergy.objects.filter(**active)),
        medications=medications,
        diagnoses=list(Diagnosis.objects.filter(**active)),
        open_risk_alerts=list(
            RiskAlert.objects.filter(patient=patient, acknowledged_at__isnull=True)
        ),
        course=course,
        sessions=[_session_summary(s) for s in sessions],
    )
    record_event(
        actor=actor,
        action=Action.VIEW,
        obj=patient,
        clinic_id=grant.patient_clinic_id,
        detail={"part": "emergency_view", "emergency": True, "grant": grant.pk},
    )
    return view


# ---------------------------------------------------------------------------- the admins


def _require_review(actor: User) -> int:
    if not actor.can(Capability.REVIEW_EMERGENCY_ACCESS):
        raise PermissionDenied("Only a clinic admin reviews emergency access.")
    return actor.clinic_pk


def grants_for_review(actor: User) -> QuerySet[EmergencyGrant]:
    """Every grant to a patient of the admin's clinic or by one of its staff, newest first."""
    clinic_id = _require_review(actor)
    return (
        EmergencyGrant.objects.filter(Q(clinic_id=clinic_id) | Q(patient_clinic_id=clinic_id))
        .select_related("user", "clinic", "patient", "patient_clinic")
        .prefetch_related("reviews__reviewed_by", "reviews__clinic")
    )


def review_list(actor: User, *, limit: int = 200) -> list[EmergencyGrant]:
    """The review page's grants (the latest `limit`); audited as a list."""
    grants = list(grants_for_review(actor)[:limit])
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={"part": "emergency_access_reviews", "grants": [g.pk for g in grants]},
    )
    return grants


def grants_to_review(actor: User) -> list[EmergencyGrant]:
    """The grants the admin's clinic has not reviewed yet; audited when any names a patient."""
    clinic_id = _require_review(actor)
    done = GrantReview.objects.filter(clinic_id=clinic_id).values("grant_id")
    grants = list(grants_for_review(actor).exclude(pk__in=done))
    if grants:
        record_event(
            actor=actor,
            action=Action.LIST,
            detail={"part": "emergency_access_to_review", "grants": [g.pk for g in grants]},
        )
    return grants


def get_grant_for_review(actor: User, grant_id: int) -> EmergencyGrant:
    grant = grants_for_review(actor).filter(pk=grant_id).first()
    if grant is None:
        raise Http404("No such emergency access for your clinic.")
    return grant


def review_of(grant: EmergencyGrant, clinic_id: int) -> GrantReview | None:
    """The clinic's review of the grant (from the prefetched reviews)."""
    return next((r for r in grant.reviews.all() if r.clinic_id == clinic_id), None)
