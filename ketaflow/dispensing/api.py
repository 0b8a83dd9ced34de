"""Take-home supply as JSON, through the same selectors and services as its pages.

Authorisations, supplies (dispensing), refill requests, PDMP checks, stock receipts and
reconciliation. Strict input schemas (`InputSchema`: unknown fields refused).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.clinical import take_home as core
from ketaflow.dispensing import selectors, services
from ketaflow.dispensing.models import (
    ReconciliationLine,
    RefillRequest,
    StockReceipt,
    StockReconciliation,
    Supply,
    TakeHomeAuthorisation,
)
from ketaflow.lib.api_schemas import Bool, Id, InputSchema, IsoDate, PathId, Text

router = Router(tags=["dispensing"])

ERRORS = "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 422 bad input."


def _witness(actor: User, witness_id: int) -> User:
    found = User.objects.filter(pk=witness_id, clinic_id=actor.clinic_pk).first()
    if found is None:
        raise ValidationError(
            {"witness_id": ["The witness must be a nurse or prescriber of this clinic."]}
        )
    return found


# ---------------------------------------------------------------------------- out


class TakeHomeEligibilityOut(Schema):
    allowed: bool
    clean_in_a_row: int
    required: int
    message: str
    needs_local_signoff: bool
    sources: list[str]


class PdmpStatusOut(Schema):
    due: bool
    last_checked_on: date | None
    due_on: date | None
    message: str
    sources: list[str]


class TakeHomeAuthorisationOut(Schema):
    id: int
    course_id: int
    patient_id: int
    product: str
    dosage_form: str
    strength_mg: float
    units_per_dose: int
    dose_interval_days: int
    days_per_supply: int
    refills_allowed: int
    written_on: date
    expires_on: date
    reason: str
    supervised_doses: int
    supervised_required: int
    status: str
    authorised_by: str
    authorised_at: datetime


class TakeHomeSupplyOut(Schema):
    id: int
    authorisation_id: int
    course_id: int
    patient_id: int
    fill_number: int
    product: str
    dosage_form: str
    strength_mg: float
    quantity: int
    days_supply: int
    lot: str
    expires_on: date
    storage_acknowledged: bool
    no_driving_acknowledged: bool
    acknowledgement_version: str
    pdmp_override_reason: str
    dispensed_at: datetime
    dispensed_by: str
    witnessed_by: str
    status: str


class RefillRequestOut(Schema):
    id: int
    authorisation_id: int
    patient_id: int
    requested_at: datetime
    note: str
    early: bool
    early_reason: str
    runs_out_on: date | None
    status: str
    decision_reason: str


class TakeHomeOut(Schema):
    course_id: int
    patient_id: int
    warning: str
    eligibility: TakeHomeEligibilityOut
    pdmp: PdmpStatusOut
    authorisations: list[TakeHomeAuthorisationOut]


def _auth(a: TakeHomeAuthorisation) -> dict[str, Any]:
    return {
        **{f: getattr(a, f) for f in TakeHomeAuthorisationOut.model_fields if hasattr(a, f)},
        "authorised_by": str(a.authorised_by),
    }


def _supply(s: Supply) -> dict[str, Any]:
    return {
        **{f: getattr(s, f) for f in TakeHomeSupplyOut.model_fields if hasattr(s, f)},
        "dispensed_by": str(s.dispensed_by),
        "witnessed_by": str(s.witnessed_by),
    }


def _refill(r: RefillRequest) -> dict[str, Any]:
    return {f: getattr(r, f) for f in RefillRequestOut.model_fields}


def _pdmp(p: core.PdmpStatus) -> dict[str, Any]:
    return {
        "due": p.due,
        "last_checked_on": p.last_checked_on,
        "due_on": p.due_on,
        "message": p.message,
        "sources": [s.key for s in p.sources],
    }


@router.get(
    "/courses/{course_id}",
    response=TakeHomeOut,
    summary="A course's take-home state: eligibility, PDMP status, authorisations",
    description=ERRORS,
)
def course_state(request: HttpRequest, course_id: PathId) -> dict[str, Any]:
    actor = staff_user(request)
    panel = selectors.take_home_panel(actor, selectors.course_of(actor, course_id))
    e = panel.eligibility
    return {
        "course_id": panel.course.pk,
        "patient_id": panel.patient.pk,
        "warning": core.HOME_USE_WARNING,
        "eligibility": {
            "allowed": e.allowed,
            "clean_in_a_row": e.clean_in_a_row,
            "required": e.required,
            "message": e.message,
            "needs_local_signoff": panel.required_needs_signoff,
            "sources": [s.key for s in e.sources],
        },
        "pdmp": _pdmp(panel.pdmp),
        "authorisations": [_auth(a.row) for a in panel.authorisations],
    }


# ---------------------------------------------------------------------------- authorisations


class TakeHomeAuthoriseIn(InputSchema):
    product: Text = Field(min_length=1, max_length=120)
    dosage_form: Text = Field(description="troche, tablet or capsule")
    strength_mg: float = Field(gt=0, le=1000, description="mg of ketamine per unit")
    units_per_dose: int = Field(ge=1, le=20)
    dose_interval_days: int = Field(ge=1, le=30, description="One dose every this many days")
    days_per_supply: int = Field(ge=1, le=90, description="The most days one supply covers")
    refills_allowed: int = Field(ge=0, le=10, description="Schedule III: at most 5 (S57)")
    reason: Text = Field(max_length=2000, description="Why home doses despite the warning")
    warning_acknowledged: Bool = Field(description="The prescriber read the warning on home use")


@router.get(
    "/authorisations",
    response=list[TakeHomeAuthorisationOut],
    summary="The clinic's take-home authorisations (optionally of one course)",
    description=ERRORS,
)
def list_authorisations(request: HttpRequest, course_id: Id | None = None) -> list[Any]:
    return [_auth(a) for a in selectors.authorisations(staff_user(request), course_id=course_id)]


@router.post(
    "/courses/{course_id}/authorisations",
    response={201: TakeHomeAuthorisationOut},
    summary="Authorise home doses (prescribers; only after the supervised doses)",
    description=ERRORS
    + " Refused (422) before N supervised doses in a row without a safety event, and beyond "
    "the Schedule III limits (at most 5 refills; expires after 6 months).",
)
def authorise(request: HttpRequest, course_id: PathId, payload: TakeHomeAuthoriseIn) -> Status[Any]:
    actor = staff_user(request)
    require(actor, Capability.AUTHORISE_TAKE_HOME)
    course = selectors.course_of(actor, course_id)
    auth = services.authorise(actor, course, **payload.dict())
    return Status(201, _auth(auth))


class TakeHomeReasonIn(InputSchema):
    reason: Text = Field(min_length=1, max_length=500)


@router.post(
    "/authorisations/{authorisation_id}/end",
    response=TakeHomeAuthorisationOut,
    summary="End a take-home authorisation, with a reason",
    description=ERRORS,
)
def end(
    request: HttpRequest, authorisation_id: PathId, payload: TakeHomeReasonIn
) -> dict[str, Any]:
    actor = staff_user(request)
    require(actor, Capability.AUTHORISE_TAKE_HOME)
    auth = selectors.authorisation_of(actor, authorisation_id)
    return _auth(services.end_authorisation(actor, auth, payload.reason))


# ---------------------------------------------------------------------------- supplies


class TakeHomeDispenseIn(InputSchema):
    quantity: int = Field(ge=1, le=1000, description="Units (tablets, troches...)")
    lot: Text = Field(min_length=1, max_length=60)
    witness_id: Id = Field(description="Another nurse or prescriber of this clinic")
    storage_acknowledged: Bool
    no_driving_acknowledged: Bool
    pdmp_override_reason: Text = Field(
        default="", max_length=300, description="Prescribers only, when the PDMP check is due"
    )


@router.get(
    "/supplies",
    response=list[TakeHomeSupplyOut],
    summary="The clinic's take-home supplies (the controlled-substance log)",
    description=ERRORS,
)
def list_supplies(request: HttpRequest, patient_id: Id | None = None) -> list[Any]:
    return [_supply(s) for s in selectors.supplies(staff_user(request), patient_id=patient_id)]


@router.get(
    "/supplies/{supply_id}", response=TakeHomeSupplyOut, summary="One supply", description=ERRORS
)
def get_supply(request: HttpRequest, supply_id: PathId) -> dict[str, Any]:
    return _supply(selectors.supply_of(staff_user(request), supply_id))


@router.post(
    "/authorisations/{authorisation_id}/supplies",
    response={201: TakeHomeSupplyOut},
    summary="Dispense a take-home supply from stock, witnessed and acknowledged",
    description=ERRORS
    + " Refused (422) when early (record a refill request), beyond the refills or expiry, "
    "above the schedule's quantity, or with the PDMP check due and no prescriber override.",
)
def dispense(
    request: HttpRequest, authorisation_id: PathId, payload: TakeHomeDispenseIn
) -> Status[Any]:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    auth = selectors.authorisation_of(actor, authorisation_id)
    supply = services.dispense(
        actor,
        auth,
        quantity=payload.quantity,
        lot=payload.lot,
        witness=_witness(actor, payload.witness_id),
        storage_acknowledged=payload.storage_acknowledged,
        no_driving_acknowledged=payload.no_driving_acknowledged,
        pdmp_override_reason=payload.pdmp_override_reason,
    )
    return Status(201, _supply(supply))


@router.post(
    "/supplies/{supply_id}/entered-in-error",
    response=TakeHomeSupplyOut,
    summary="Mark a supply entered in error (it stays on the log; its units return)",
    description=ERRORS,
)
def supply_error(
    request: HttpRequest, supply_id: PathId, payload: TakeHomeReasonIn
) -> dict[str, Any]:
    actor = staff_user(request)
    require(actor, Capability.AUTHORISE_TAKE_HOME)
    supply = selectors.supply_of(actor, supply_id)
    return _supply(services.mark_supply_entered_in_error(actor, supply, payload.reason))


# ---------------------------------------------------------------------------- refill requests


class RefillRequestIn(InputSchema):
    note: Text = Field(default="", max_length=500)


class RefillDecisionIn(InputSchema):
    approve: Bool
    reason: Text = Field(min_length=1, max_length=500)


@router.get(
    "/refill-requests",
    response=list[RefillRequestOut],
    summary="The clinic's refill requests (waiting=true: early ones waiting for a prescriber)",
    description=ERRORS,
)
def list_refills(request: HttpRequest, waiting: bool = False) -> list[Any]:
    return [
        _refill(r) for r in selectors.refill_requests(staff_user(request), waiting_only=waiting)
    ]


@router.post(
    "/authorisations/{authorisation_id}/refill-requests",
    response={201: RefillRequestOut},
    summary="Record a request for more; an early one is flagged and waits for a prescriber",
    description=ERRORS,
)
def request_refill(
    request: HttpRequest, authorisation_id: PathId, payload: RefillRequestIn
) -> Status[Any]:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    auth = selectors.authorisation_of(actor, authorisation_id)
    return Status(201, _refill(services.request_refill(actor, auth, note=payload.note)))


@router.post(
    "/refill-requests/{request_id}/decision",
    response=RefillRequestOut,
    summary="A prescriber approves or declines an early refill request, with a reason",
    description=ERRORS,
)
def decide(request: HttpRequest, request_id: PathId, payload: RefillDecisionIn) -> dict[str, Any]:
    actor = staff_user(request)
    require(actor, Capability.AUTHORISE_TAKE_HOME)
    row = selectors.refill_request_of(actor, request_id)
    return _refill(
        services.decide_refill(actor, row, approve=payload.approve, reason=payload.reason)
    )


# ---------------------------------------------------------------------------- PDMP


class PdmpCheckIn(InputSchema):
    checked_on: IsoDate
    outcome: Text = Field(description="no_concern or concern")
    registry: Text = Field(default="", max_length=120)
    notes: Text = Field(default="", max_length=500)


class PdmpCheckCreatedOut(Schema):
    id: int


@router.post(
    "/patients/{patient_id}/pdmp-checks",
    response={201: PdmpCheckCreatedOut},
    summary="Record a prescription-monitoring (PDMP) check",
    description=ERRORS,
)
def pdmp_check(request: HttpRequest, patient_id: PathId, payload: PdmpCheckIn) -> Status[Any]:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    patient = selectors.patient_of(actor, patient_id)
    row = services.record_pdmp_check(actor, patient, **payload.dict())
    return Status(201, {"id": row.pk})


# ---------------------------------------------------------------------------- stock


class StockReceiptIn(InputSchema):
    product: Text = Field(min_length=1, max_length=120)
    dosage_form: Text = Field(description="troche, tablet or capsule")
    strength_mg: float = Field(gt=0, le=1000)
    lot: Text = Field(min_length=1, max_length=60)
    expires_on: IsoDate
    quantity: int = Field(ge=1, le=100000)
    witness_id: Id
    supplier: Text = Field(default="", max_length=200)
    reference: Text = Field(default="", max_length=120)


class StockReceiptOut(Schema):
    id: int
    product: str
    dosage_form: str
    strength_mg: float
    lot: str
    expires_on: date
    quantity: int
    received_at: datetime
    received_by: str
    witnessed_by: str


class StockLotOut(Schema):
    lot: str
    product: str
    strength_mg: float
    expires_on: date
    on_book: int


class StockCountLineOut(Schema):
    id: int
    lot: str
    expected: int
    counted: int
    difference: int
    explanation: str
    open: bool


class StockReconciliationOut(Schema):
    id: int
    counted_at: datetime
    counted_by: str
    witnessed_by: str
    note: str
    lines: list[StockCountLineOut]


class ControlledStockOut(Schema):
    lots: list[StockLotOut]
    receipts: list[StockReceiptOut]
    reconciliations: list[StockReconciliationOut]
    open_discrepancies: list[StockCountLineOut]


def _receipt(r: StockReceipt) -> dict[str, Any]:
    return {
        **{f: getattr(r, f) for f in StockReceiptOut.model_fields if hasattr(r, f)},
        "received_by": str(r.received_by),
        "witnessed_by": str(r.witnessed_by),
    }


def _line(line: ReconciliationLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "lot": line.lot,
        "expected": line.expected,
        "counted": line.counted,
        "difference": line.difference,
        "explanation": line.explanation,
        "open": line.open_discrepancy,
    }


def _reconciliation(r: StockReconciliation) -> dict[str, Any]:
    return {
        "id": r.pk,
        "counted_at": r.counted_at,
        "counted_by": str(r.counted_by),
        "witnessed_by": str(r.witnessed_by),
        "note": r.note,
        "lines": [_line(x) for x in r.lines.all()],
    }


@router.get(
    "/stock",
    response=ControlledStockOut,
    summary="The clinic's controlled-substance stock: the book per lot, receipts, counts",
    description=ERRORS,
)
def stock(request: HttpRequest) -> dict[str, Any]:
    s = selectors.stock_overview(staff_user(request))
    return {
        "lots": [vars(x) for x in s.lots],
        "receipts": [_receipt(r) for r in s.receipts],
        "reconciliations": [_reconciliation(r) for r in s.reconciliations],
        "open_discrepancies": [_line(x) for x in s.open_lines],
    }


@router.post(
    "/stock/receipts",
    response={201: StockReceiptOut},
    summary="Receive product into the controlled-substance stock (witnessed)",
    description=ERRORS,
)
def receive(request: HttpRequest, payload: StockReceiptIn) -> Status[Any]:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    data = payload.dict()
    data["witness"] = _witness(actor, data.pop("witness_id"))
    return Status(201, _receipt(services.receive_stock(actor, **data)))


class StockCountIn(InputSchema):
    lot: Text = Field(min_length=1, max_length=60)
    counted: int = Field(ge=0, le=100000)


class StockReconcileIn(InputSchema):
    counts: list[StockCountIn] = Field(description="Every lot on the book, counted")
    witness_id: Id
    note: Text = Field(default="", max_length=500)


@router.post(
    "/stock/reconciliations",
    response={201: StockReconciliationOut},
    summary="Record a witnessed count; a difference from the book opens a discrepancy",
    description=ERRORS,
)
def reconcile(request: HttpRequest, payload: StockReconcileIn) -> Status[Any]:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    counts = {c.lot: c.counted for c in payload.counts}
    if len(counts) != len(payload.counts):
        raise ValidationError({"counts": ["Each lot once."]})
    rec = services.reconcile(
        actor, counts=counts, witness=_witness(actor, payload.witness_id), note=payload.note
    )
    return Status(201, _reconciliation(rec))


class StockExplainIn(InputSchema):
    explanation: Text = Field(min_length=1, max_length=2000)
    witness_id: Id


@router.post(
    "/stock/lines/{line_id}/explanation",
    response=StockCountLineOut,
    summary="Explain a count's discrepancy, witnessed by someone else",
    description=ERRORS,
)
def explain(request: HttpRequest, line_id: PathId, payload: StockExplainIn) -> dict[str, Any]:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    line = selectors.line_of(actor, line_id)
    row = services.explain_discrepancy(
        actor,
        line,
        explanation=payload.explanation,
        witness=_witness(actor, payload.witness_id),
    )
    return _line(row)


@router.post(
    "/stock/receipts/{receipt_id}/entered-in-error",
    response=StockReceiptOut,
    summary="Mark a stock receipt entered in error (prescribers; only while its units are all "
    "on the book)",
    description=ERRORS,
)
def receipt_error(
    request: HttpRequest, receipt_id: PathId, payload: TakeHomeReasonIn
) -> dict[str, Any]:
    actor = staff_user(request)
    require(actor, Capability.AUTHORISE_TAKE_HOME)
    receipt = selectors.receipt_of(actor, receipt_id)
    return _receipt(services.mark_receipt_entered_in_error(actor, receipt, payload.reason))


@router.post(
    "/pdmp-checks/{check_id}/entered-in-error",
    response=PdmpCheckCreatedOut,
    summary="Mark a PDMP check entered in error (it stays, and no longer counts)",
    description=ERRORS,
)
def pdmp_check_error(
    request: HttpRequest, check_id: PathId, payload: TakeHomeReasonIn
) -> dict[str, Any]:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    check = selectors.pdmp_check_of(actor, check_id)
    return {"id": services.mark_pdmp_check_entered_in_error(actor, check, payload.reason).pk}
