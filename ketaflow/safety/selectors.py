"""Reads of long-term safety, scoped to the actor's clinic and audited.

Clinical staff (VIEW_CLINICAL: nurses, prescribers) read them; another clinic's patient is
"not found". The due list and flags are computed by the core on every read, never stored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.long_term_safety import (
    Check,
    DueItem,
    DueStatus,
    LabFlag,
    SafetyFlag,
    SafetyRules,
    due_list,
    evaluate_luts,
    flags,
)
from ketaflow.courses.models import Appointment, Course
from ketaflow.lib.clock import clinic_today
from ketaflow.patients.models import Patient
from ketaflow.safety.derive import (
    course_history,
    current_course,
    lab_flag,
    last_results,
    luts_answers,
    rules_of,
)
from ketaflow.safety.models import LabResult, LutsScreen, SafetyReview

RECORD_MODELS = {"lab": LabResult, "luts": LutsScreen, "review": SafetyReview}


def _require_view(actor: User) -> None:
    if not actor.can(Capability.VIEW_CLINICAL):
        raise PermissionDenied("Your role cannot read the clinical chart.")


def safety_patient(actor: User, patient_id: int) -> Patient:
    _require_view(actor)
    try:
        return Patient.objects.select_related("clinic").get(
            pk=patient_id, clinic_id=actor.clinic_pk
        )
    except Patient.DoesNotExist:
        raise Http404("No such patient in your clinic.") from None


@dataclass(frozen=True)
class LabRow:
    row: LabResult
    flag: LabFlag | None


@dataclass(frozen=True)
class ScreenRow:
    row: LutsScreen
    positive: bool
    symptoms: tuple[str, ...]
    advice: str


@dataclass
class SafetyPanel:
    patient: Patient
    course: Course | None
    rules: SafetyRules
    due: tuple[DueItem, ...]
    flags: tuple[SafetyFlag, ...]
    labs: list[LabRow] = field(default_factory=list)
    screens: list[ScreenRow] = field(default_factory=list)
    reviews: list[SafetyReview] = field(default_factory=list)
    today: date | None = None

    def labs_of(self, analyte: str) -> list[LabRow]:
        return [r for r in self.labs if r.row.analyte == analyte]


def patient_panel(actor: User, patient_id: int) -> SafetyPanel:
    """One patient's due list, flags and every safety record (audited as a view)."""
    patient = safety_patient(actor, patient_id)
    course = current_course(patient)
    rules = rules_of(course.protocol_version if course else None)
    labs = list(LabResult.objects.filter(patient=patient).select_related("recorded_by"))
    screens = list(LutsScreen.objects.filter(patient=patient).select_related("recorded_by"))
    reviews = list(SafetyReview.objects.filter(patient=patient).select_related("reviewer"))
    results = last_results(labs, screens, reviews, rules)
    today = clinic_today(patient.clinic)
    due = due_list(course_history(course), results, rules, today) if course else ()
    panel = SafetyPanel(
        patient=patient,
        course=course,
        rules=rules,
        due=due,
        flags=flags(results, rules),
        labs=[LabRow(r, lab_flag(r, rules)) for r in labs],
        reviews=reviews,
        today=today,
    )
    for s in screens:
        finding = evaluate_luts(luts_answers(s), rules)
        panel.screens.append(ScreenRow(s, finding.positive, finding.symptoms, finding.advice))
    record_event(actor=actor, action=Action.VIEW, obj=patient, detail={"part": "safety"})
    return panel


@dataclass(frozen=True)
class DueRow:
    patient: Patient
    course: Course
    item: DueItem


def clinic_due_list(actor: User, *, include_scheduled: bool = False) -> list[DueRow]:
    """Every running course's checks that are overdue, due or due soon, most urgent first."""
    _require_view(actor)
    rows = _due_rows(actor.clinic_pk, include_scheduled=include_scheduled)
    _audit_due(rows, actor=actor)
    return rows


def due_list_of_clinic(clinic: Clinic, *, job: str) -> list[DueRow]:
    """`clinic_due_list` for a background job (no user): the same rows, audited under `job`."""
    rows = _due_rows(clinic.pk, include_scheduled=False)
    _audit_due(rows, actor=None, clinic_id=clinic.pk, actor_label=job)
    return rows


def _due_rows(clinic_id: int, *, include_scheduled: bool) -> list[DueRow]:
    courses = list(
        Course.objects.filter(patient__clinic_id=clinic_id)
        .exclude(phase="ended")
        .select_related("patient__clinic", "protocol_version")
        .order_by("patient_id", "-started_on", "-pk")
    )
    latest: dict[int, Course] = {}
    for c in courses:
        latest.setdefault(c.patient_id, c)
    ids = list(latest)
    appts: dict[int, list[Appointment]] = defaultdict(list)
    for a in Appointment.objects.filter(course__in=list(latest.values())).order_by("starts_at"):
        appts[a.course_id].append(a)
    labs: dict[int, list[LabResult]] = defaultdict(list)
    for lab in LabResult.objects.filter(patient_id__in=ids):
        labs[lab.patient_id].append(lab)
    screens: dict[int, list[LutsScreen]] = defaultdict(list)
    for s in LutsScreen.objects.filter(patient_id__in=ids):
        screens[s.patient_id].append(s)
    reviews: dict[int, list[SafetyReview]] = defaultdict(list)
    for r in SafetyReview.objects.filter(patient_id__in=ids):
        reviews[r.patient_id].append(r)
    rows: list[DueRow] = []
    for pid, course in latest.items():
        rules = rules_of(course.protocol_version)
        results = last_results(labs[pid], screens[pid], reviews[pid], rules)
        today = clinic_today(course.patient.clinic)
        history = course_history(course, appts[course.pk])
        for item in due_list(history, results, rules, today):
            if item.status.needs_action or (include_scheduled and item.due_on is not None):
                rows.append(DueRow(course.patient, course, item))
    order = {s: i for i, s in enumerate(DueStatus)}
    rows.sort(key=lambda r: (order[r.item.status], r.item.due_on or date.max, r.patient.pk))
    return rows


def _audit_due(
    rows: list[DueRow],
    *,
    actor: User | None,
    clinic_id: int | None = None,
    actor_label: str | None = None,
) -> None:
    record_event(
        actor=actor,
        actor_label=actor_label,
        action=Action.LIST,
        clinic_id=clinic_id,
        detail={"part": "safety due list", "patient_ids": sorted({r.patient.pk for r in rows})},
    )


def get_record(actor: User, kind: str, pk: int) -> LabResult | LutsScreen | SafetyReview:
    """One safety record of my clinic (404 otherwise), with its history, audited."""
    _require_view(actor)
    model: Any = RECORD_MODELS.get(kind)
    if model is None:
        raise Http404("No such kind of safety record.")
    try:
        record = model.objects.select_related("patient").get(
            pk=pk, patient__clinic_id=actor.clinic_pk
        )
    except model.DoesNotExist:
        raise Http404("No such record in your clinic.") from None
    record_event(actor=actor, action=Action.VIEW, obj=record, detail={"part": "safety record"})
    result: LabResult | LutsScreen | SafetyReview = record
    return result


def check_label(check: Check) -> str:
    return check.label
