"""The safety app as JSON, through the same selectors and services as its pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from ketaflow.accounts.requests import staff_user
from ketaflow.clinical.long_term_safety import DueItem
from ketaflow.lib.api_schemas import Bool, InputSchema, IsoDate, PathId, Text
from ketaflow.safety import selectors, services

router = Router(tags=["safety"])

ERRORS = "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 422 bad input."


class SafetyDueOut(Schema):
    check: str
    label: str
    status: str
    due_on: date | None
    reason: str
    sources: list[str]
    needs_local_signoff: bool
    last_on: date | None


def _due(item: DueItem) -> dict[str, Any]:
    return {
        "check": item.check.value,
        "label": item.check.label,
        "status": item.status.value,
        "due_on": item.due_on,
        "reason": item.reason,
        "sources": [s.key for s in item.sources],
        "needs_local_signoff": item.needs_local_signoff,
        "last_on": item.last_on,
    }


class DueRowOut(SafetyDueOut):
    patient_id: int
    mrn: str
    course_id: int


@router.get(
    "/due",
    response=list[DueRowOut],
    summary="The clinic's overdue and due-soon safety checks",
    description=ERRORS,
)
def due(request: HttpRequest, all: bool = False) -> list[dict[str, Any]]:
    rows = selectors.clinic_due_list(staff_user(request), include_scheduled=all)
    return [
        {**_due(r.item), "patient_id": r.patient.pk, "mrn": r.patient.mrn, "course_id": r.course.pk}
        for r in rows
    ]


class LabOut(Schema):
    id: int
    analyte: str
    value: float
    unit: str
    ref_low: float | None
    ref_high: float
    collected_on: date
    status: str
    flag: str | None


class ScreenOut(Schema):
    id: int
    screened_on: date
    positive: bool
    symptoms: list[str]
    advice: str
    status: str


class SafetyReviewOut(Schema):
    id: int
    kind: str
    reviewed_on: date
    reviewer: str
    outcome: str
    notes: str
    status: str


class FlagOut(Schema):
    check: str
    on: date
    message: str
    sources: list[str]


class PanelOut(Schema):
    patient_id: int
    course_id: int | None
    due: list[SafetyDueOut]
    flags: list[FlagOut]
    labs: list[LabOut]
    screens: list[ScreenOut]
    reviews: list[SafetyReviewOut]


def _lab(row: Any, flag: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "analyte": row.analyte,
        "value": row.value,
        "unit": row.unit,
        "ref_low": row.ref_low,
        "ref_high": row.ref_high,
        "collected_on": row.collected_on,
        "status": row.status,
        "flag": flag.value if flag is not None else None,
    }


@router.get(
    "/patients/{patient_id}",
    response=PanelOut,
    summary="A patient's safety panel: due list, flags, results",
    description=ERRORS,
)
def panel(request: HttpRequest, patient_id: PathId) -> dict[str, Any]:
    p = selectors.patient_panel(staff_user(request), patient_id)
    return {
        "patient_id": p.patient.pk,
        "course_id": p.course.pk if p.course else None,
        "due": [_due(i) for i in p.due],
        "flags": [
            {
                "check": f.check.value,
                "on": f.on,
                "message": f.message,
                "sources": [s.key for s in f.sources],
            }
            for f in p.flags
        ],
        "labs": [_lab(r.row, r.flag) for r in p.labs],
        "screens": [
            {
                "id": s.row.pk,
                "screened_on": s.row.screened_on,
                "positive": s.positive,
                "symptoms": list(s.symptoms),
                "advice": s.advice,
                "status": s.row.status,
            }
            for s in p.screens
        ],
        "reviews": [
            {
                "id": r.pk,
                "kind": r.kind,
                "reviewed_on": r.reviewed_on,
                "reviewer": r.reviewer.display_name,
                "outcome": r.outcome,
                "notes": r.notes,
                "status": r.status,
            }
            for r in p.reviews
        ],
    }


class LabValueIn(InputSchema):
    analyte: Text = Field(description="alt, ast, alp, ggt or bilirubin")
    value: float
    unit: Text = Field(description="U/L for the enzymes; µmol/L or mg/dL for bilirubin")
    ref_low: float | None = None
    ref_high: float = Field(description="The laboratory's upper limit of normal")


class LabPanelIn(InputSchema):
    collected_on: IsoDate
    laboratory: Text = ""
    values: list[LabValueIn]


@router.post(
    "/patients/{patient_id}/labs",
    response={201: list[LabOut]},
    summary="Record liver function tests from one sample",
    description=ERRORS,
)
def add_labs(request: HttpRequest, patient_id: PathId, payload: LabPanelIn) -> Status[Any]:
    actor = staff_user(request)
    patient = selectors.safety_patient(actor, patient_id)
    rows = services.record_lab_panel(
        actor,
        patient,
        collected_on=payload.collected_on,
        laboratory=payload.laboratory,
        values=[v.dict() for v in payload.values],
    )
    from ketaflow.safety.derive import lab_flag, rules_of_patient

    rules = rules_of_patient(patient)
    return Status(201, [_lab(r, lab_flag(r, rules)) for r in rows])


class LutsIn(InputSchema):
    screened_on: IsoDate
    frequency: Bool
    urgency: Bool
    dysuria: Bool
    haematuria: Bool
    suprapubic_pain: Bool
    incontinence: Bool
    notes: Text = ""


class CreatedOut(Schema):
    id: int


@router.post(
    "/patients/{patient_id}/luts",
    response={201: CreatedOut},
    summary="Record a urinary symptom (LUTS) screen",
    description=ERRORS,
)
def add_luts(request: HttpRequest, patient_id: PathId, payload: LutsIn) -> Status[Any]:
    actor = staff_user(request)
    patient = selectors.safety_patient(actor, patient_id)
    data = payload.dict()
    screen = services.record_luts_screen(
        actor,
        patient,
        screened_on=data.pop("screened_on"),
        notes=data.pop("notes"),
        answers=data,
    )
    return Status(201, {"id": screen.pk})


class ReviewIn(InputSchema):
    kind: Text = Field(description="cognition or substance_use")
    reviewed_on: IsoDate
    outcome: Text = Field(description="no_concern, concern_monitor or concern_refer")
    notes: Text = ""


@router.post(
    "/patients/{patient_id}/reviews",
    response={201: CreatedOut},
    summary="Record a cognition or substance-use review (you are the reviewer)",
    description=ERRORS,
)
def add_review(request: HttpRequest, patient_id: PathId, payload: ReviewIn) -> Status[Any]:
    actor = staff_user(request)
    patient = selectors.safety_patient(actor, patient_id)
    review = services.record_review(actor, patient, **payload.dict())
    return Status(201, {"id": review.pk})


class SafetyReasonIn(InputSchema):
    reason: Text = Field(min_length=1, max_length=300)


@router.post(
    "/records/{kind}/{record_id}/entered-in-error",
    response=CreatedOut,
    summary="Mark a safety record entered in error (it stays, marked)",
    description=ERRORS,
)
def entered_in_error(
    request: HttpRequest, kind: str, record_id: PathId, payload: SafetyReasonIn
) -> dict[str, Any]:
    actor = staff_user(request)
    record = selectors.get_record(actor, kind, record_id)
    services.mark_entered_in_error(actor, record, payload.reason)
    return {"id": record.pk}
