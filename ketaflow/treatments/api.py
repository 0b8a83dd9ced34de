"""Treatment sessions as JSON: the same selectors and services as the pages.

Every write sends the `version` of the session it saw; a stale version is a 409 ("someone
else changed this session at HH:MM — reload"), as is a write to a signed session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from ketaflow.accounts.models import User
from ketaflow.accounts.requests import staff_user
from ketaflow.lib.api_schemas import Bool, Id, InputSchema, IsoDateTime, PathId, Text
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.treatments import derive, rems, selectors, services
from ketaflow.treatments.models import AdministrationEvent, SigningAttestation
from ketaflow.treatments.rems import pdf

router = Router(tags=["treatments"])
T = TypeVar("T")
ERRORS = "Errors: 403 role may not, 404 not in your clinic, 409 stale version/locked, 422 input."


def _write(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except services.SessionConflict as exc:
        raise HttpError(409, exc.message) from exc


def _event(e: AdministrationEvent) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "at": e.at,
        "rate_ml_per_h": e.rate_ml_per_h,
        "bolus_mg": e.bolus_mg,
        "reason": e.reason,
        "recorded_by": str(e.recorded_by),
        "entered_in_error": None
        if not e.in_error
        else {
            "at": e.entered_in_error_at,
            "by": str(e.entered_in_error_by),
            "reason": e.entered_in_error_reason,
        },
    }


def _scale(r: InstrumentResponse) -> dict[str, Any]:
    return {
        "id": r.pk,
        "instrument": r.instrument,
        "administered_at": r.administered_at,
        "context": r.context,
        "answers": r.answers,
        "total": r.total,
        "severity": r.severity,
        "subscales": r.subscales,
        "flags": r.flags,
        "status": r.status,
    }


def _summary(actor: User, session_id: int) -> dict[str, Any]:
    view = selectors.session_view(actor, session_id, audit=False)
    s = view.session
    order = view.order
    return {
        "id": s.pk,
        "version": s.version,
        "status": s.status,
        "phase": view.phase,
        "patient_id": s.patient_id,
        "appointment_id": s.appointment_id,
        "route": s.route,
        "session_number": s.session_number,
        "delivered_mg": round(view.delivered_mg, 3),
        "infusing_minutes": round(view.infusing_minutes, 2),
        "infusion_state": view.state.value,
        "events": [_event(e) for e in s.events.select_related("recorded_by").all()],
        "scales": [_scale(r) for r in view.scales],
        "order": None
        if order is None
        else {
            "id": order.pk,
            "status": order.status,
            "dose_mg": order.dose_mg,
            "mg_per_kg": order.mg_per_kg,
            "rate_ml_per_h": order.rate_ml_per_h,
            "minutes": order.minutes,
            "warnings": order.warnings,
            "overrides": order.overrides,
            "weight_basis": order.weight_basis,
            "weight_basis_reason": order.weight_basis_reason,
            "max_dose_mg": order.max_dose_mg,
        },
        "checklist": None
        if view.checklist is None
        else {
            "can_start": view.checklist.can_start,
            "items": [
                {"code": i.code, "status": i.status.value, "message": i.message}
                for i in view.checklist.items
            ],
        },
        "vitals": [
            {
                "id": v.reading.pk,
                "taken_at": v.reading.taken_at,
                "phase": v.phase.value,
                "sbp": v.reading.sbp,
                "dbp": v.reading.dbp,
                "hr": v.reading.hr,
                "spo2": v.reading.spo2,
                "rr": v.reading.rr,
                "on_oxygen": v.reading.on_oxygen,
                "oxygen_l_per_min": v.reading.oxygen_l_per_min,
                "alerts": [
                    {
                        "code": a.code,
                        "level": a.level.label,
                        "message": a.message,
                        "acknowledged": a.code in v.acked,
                    }
                    for a in v.alerts
                ],
            }
            for v in view.readings
        ],
        "flags": [{"code": f.code, "message": f.message} for f in view.flags],
        "next_vitals_due": view.due.next_due if view.due else None,
        "discharge": None
        if view.readiness is None
        else {
            "ready": view.readiness.ready,
            "blocking": [
                {
                    "code": r.code,
                    "message": r.message,
                    "overridable": r.overridable,
                    "needs_local_signoff": r.needs_local_signoff,
                }
                for r in view.readiness.blocking
            ],
        },
    }


class SessionOut(Schema):
    id: int
    version: int
    status: str
    phase: str
    patient_id: int
    appointment_id: int
    route: str
    session_number: int
    delivered_mg: float
    infusing_minutes: float
    infusion_state: str
    events: list[dict[str, Any]] = Field(
        description="Every administration line as keyed; struck lines carry `entered_in_error`."
    )
    scales: list[dict[str, Any]] = Field(description="In-session scales, scored by the core.")
    order: dict[str, Any] | None
    checklist: dict[str, Any] | None
    vitals: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    next_vitals_due: datetime | None
    discharge: dict[str, Any] | None


class Versioned(InputSchema):
    version: int = Field(..., ge=1, description="The session version you saw.")


class ChecklistIn(Versioned):
    last_food_at: IsoDateTime | None = None
    last_clear_liquid_at: IsoDateTime | None = None
    escort_name: Text = Field("", max_length=120)
    escort_phone: Text = Field("", max_length=40)
    medication_changes_reviewed: Bool = False
    medication_changes: Text = Field("", max_length=500)
    taken_today: list[str] = Field(default_factory=list, max_length=5)
    weight_kg: Decimal | None = Field(
        None, ge=20, le=350, description="Today's weight in kg; rounded to 0.1 kg."
    )
    pregnancy_test_positive: Bool | None = None
    alcohol_today: Bool | None = Field(None, description="Alcohol today (null = not asked)")
    drugs_today: Bool | None = Field(None, description="Recreational drugs today")
    intoxication_signs: Bool | None = Field(None, description="Signs of intoxication seen")


class SubstanceDecisionIn(Versioned):
    decision: str = Field(..., pattern="^(proceed|defer)$", description="proceed or defer")
    reason: Text = Field(..., min_length=1, max_length=500, description="Why (kept)")


class OrderIn(Versioned):
    mg_per_kg: float | None = Field(None, gt=0, le=100)
    dose_mg: float | None = Field(
        None,
        gt=0,
        le=1000,
        description="Fixed-dose routes: esketamine (28, 56 or 84 mg) and titrated oral or "
        "sublingual protocols (checked against the titration's ceilings and steps).",
    )
    weight_basis: str | None = Field(
        None,
        max_length=20,
        description="actual, ideal or adjusted; blank = actual, but must be chosen (with a "
        "reason) when obesity is likely (BMI >= 30, or >= 120 kg with no height)",
    )
    weight_basis_reason: Text = Field("", max_length=300)
    minutes: float | None = Field(None, gt=0, le=1440)
    concentration_mg_per_ml: float | None = Field(None, gt=0, le=100)
    max_dose_mg: float | None = Field(None, gt=0, le=1000)
    first_dose: Bool | None = None
    confirm: Bool = False
    overrides: dict[str, Text] = Field(default_factory=dict)


class ConfirmIn(Versioned):
    overrides: dict[str, Text] = Field(default_factory=dict)


class EventIn(Versioned):
    kind: str = Field(..., max_length=20)
    at: IsoDateTime | None = None
    rate_ml_per_h: float | None = Field(None, gt=0, le=2000)
    bolus_mg: float | None = Field(None, gt=0, le=1000)
    note: Text = Field("", max_length=300)
    reason: Text = Field(
        "",
        max_length=300,
        description="Required to stop before the ordered dose is delivered, or to resume or "
        "stop after a pause longer than the protocol allows (422 without it).",
    )


class VitalsIn(Versioned):
    sbp: float | None = None
    dbp: float | None = None
    hr: float | None = None
    spo2: float | None = None
    rr: float | None = None
    on_oxygen: Bool = Field(False, description="On supplemental oxygen when taken.")
    oxygen_l_per_min: float | None = Field(None, description="Oxygen flow, if on oxygen.")
    taken_at: IsoDateTime | None = None


class AckIn(Versioned):
    reading_id: Id
    code: str = Field(..., max_length=80)
    note: Text = Field(
        "",
        max_length=300,
        description="The action taken: required for warn and critical alerts (422 without it).",
    )


class SessionSignIn(Versioned):
    attestation: Text = Field(
        "",
        max_length=2000,
        description="The prescriber's attestation: required when the signing summary lists any "
        "deviation, override or alert (422 without it).",
    )


class SigningSummaryOut(Schema):
    requires_attestation: bool
    max_pause_minutes: int
    max_pause_needs_local_signoff: bool
    exceptions: list[dict[str, Any]] = Field(
        description="Deviations, overrides and alerts, each with the reason or action recorded."
    )


class ScaleIn(Versioned):
    instrument: str = Field(..., max_length=20, description="cadss6, cadss, moaas, aldrete, padss")
    answers: list[int | None] | dict[str, int | None] = Field(
        ...,
        description='In item order, or by item key / number, e.g. {"item_7": 2}; an '
        "unanswered item is refused with an error on its key, never scored as 0.",
    )
    administered_at: IsoDateTime | None = None


class EnteredInErrorIn(Versioned):
    reason: Text = Field(..., max_length=300, description="Why this line is wrong.")


class SideEffectIn(Versioned):
    kind: str = Field(..., max_length=20)
    severity: str = Field(..., max_length=10)
    onset_at: IsoDateTime | None = None
    other_text: Text = Field("", max_length=200)
    notes: Text = Field("", max_length=500)


class ResolveIn(Versioned):
    effect_id: Id
    resolved_at: IsoDateTime | None = None


class RescueIn(Versioned):
    drug: Text = Field(..., max_length=120)
    dose: Text = Field(..., max_length=60)
    route: Text = Field(..., max_length=30)
    given_at: IsoDateTime | None = None
    reason: Text = Field("", max_length=300)


class RescueAckIn(Versioned):
    rescue_id: Id


class CsLogIn(Versioned):
    lot: Text = Field(..., max_length=60)
    drawn_mg: float = Field(..., ge=0, le=10000)
    wasted_mg: float = Field(..., ge=0, le=10000)
    witness_id: Id
    discrepancy_reason: Text = Field("", max_length=300)


class NoteIn(Versioned):
    text: Text = Field(..., max_length=4000)


class AmendIn(NoteIn):
    reason: Text = Field(..., max_length=300)


class DischargeIn(Versioned):
    aldrete_score: int | None = Field(None, ge=0, le=10)
    padss_score: int | None = Field(None, ge=0, le=10)
    dissociation_resolved: Bool | None = None
    escort_present: Bool = False
    told_not_to_drive: Bool = False
    overrides: dict[str, Text] = Field(default_factory=dict)
    discharge: Bool = False


class SignedOut(Schema):
    session: SessionOut
    next_proposal: dict[str, Any] | None
    attestation: dict[str, Any] | None = Field(
        description="The attestation as signed (text, by, at, the exceptions it covers)."
    )


@router.post("/check-in/{appointment_id}", response={201: SessionOut}, description=ERRORS)
def check_in(request: HttpRequest, appointment_id: PathId) -> Status:
    actor = staff_user(request)
    appt = selectors.get_appointment(actor, appointment_id)
    session = _write(lambda: services.check_in(actor, appt))
    return Status(201, _summary(actor, session.pk))


@router.get("/{session_id}", response=SessionOut, description=ERRORS)
def detail(request: HttpRequest, session_id: PathId) -> dict[str, Any]:
    actor = staff_user(request)
    selectors.get_session(actor, session_id)
    return _summary(actor, session_id)


def _do(
    request: HttpRequest, session_id: int, call: Callable[[User, Any], object]
) -> dict[str, Any]:
    actor = staff_user(request)
    session = selectors.get_session(actor, session_id, audit=False)
    _write(lambda: call(actor, session))
    return _summary(actor, session_id)


@router.post("/{session_id}/checklist", response=SessionOut, description=ERRORS)
def checklist(request: HttpRequest, session_id: PathId, payload: ChecklistIn) -> dict[str, Any]:
    # A field left out keeps the saved answer; an explicit null/""/[]/false clears it.
    data = payload.dict(exclude={"version"}, exclude_unset=True)
    return _do(
        request, session_id, lambda a, s: services.save_checklist(a, s, payload.version, **data)
    )


@router.post(
    "/{session_id}/substance-decision",
    response=SessionOut,
    summary="A prescriber decides on alcohol, drugs or intoxication today",
    description=ERRORS,
)
def substance_decision(
    request: HttpRequest, session_id: PathId, payload: SubstanceDecisionIn
) -> dict[str, Any]:
    return _do(
        request,
        session_id,
        lambda a, s: services.record_substance_decision(
            a, s, payload.version, decision=payload.decision, reason=payload.reason
        ),
    )


@router.post("/{session_id}/order", response=SessionOut, description=ERRORS)
def order(request: HttpRequest, session_id: PathId, payload: OrderIn) -> dict[str, Any]:
    data = payload.dict(exclude={"version"})
    return _do(
        request, session_id, lambda a, s: services.enter_order(a, s, payload.version, **data)
    )


@router.post("/{session_id}/order/confirm", response=SessionOut, description=ERRORS)
def confirm(request: HttpRequest, session_id: PathId, payload: ConfirmIn) -> dict[str, Any]:
    return _do(
        request,
        session_id,
        lambda a, s: services.confirm_order(a, s, payload.version, overrides=payload.overrides),
    )


@router.post("/{session_id}/events", response=SessionOut, description=ERRORS)
def events(request: HttpRequest, session_id: PathId, payload: EventIn) -> dict[str, Any]:
    data = payload.dict(exclude={"version"})
    return _do(
        request,
        session_id,
        lambda a, s: services.record_administration(a, s, payload.version, **data),
    )


@router.post(
    "/{session_id}/events/{event_id}/entered-in-error",
    response=SessionOut,
    description="Strike a mis-keyed administration line before signing; the dose and pump "
    "state are recomputed from the remaining lines (refused, 422, if the core would not accept "
    "them). After signing: 409, record an amendment. " + ERRORS,
)
def event_entered_in_error(
    request: HttpRequest, session_id: PathId, event_id: PathId, payload: EnteredInErrorIn
) -> dict[str, Any]:
    return _do(
        request,
        session_id,
        lambda a, s: services.mark_event_entered_in_error(
            a, s, payload.version, event_id, payload.reason
        ),
    )


@router.post("/{session_id}/dosing-complete", response=SessionOut, description=ERRORS)
def dosing_complete(request: HttpRequest, session_id: PathId, payload: Versioned) -> dict[str, Any]:
    return _do(request, session_id, lambda a, s: services.complete_dosing(a, s, payload.version))


@router.post("/{session_id}/vitals", response=SessionOut, description=ERRORS)
def vitals(request: HttpRequest, session_id: PathId, payload: VitalsIn) -> dict[str, Any]:
    data = payload.dict(exclude={"version"})
    return _do(
        request, session_id, lambda a, s: services.record_vitals(a, s, payload.version, **data)
    )


@router.post("/{session_id}/alerts/ack", response=SessionOut, description=ERRORS)
def ack(request: HttpRequest, session_id: PathId, payload: AckIn) -> dict[str, Any]:
    return _do(
        request,
        session_id,
        lambda a, s: services.acknowledge_alert(
            a, s, payload.version, payload.reading_id, payload.code, payload.note
        ),
    )


@router.post("/{session_id}/scales", response=SessionOut, description=ERRORS)
def scales(request: HttpRequest, session_id: PathId, payload: ScaleIn) -> dict[str, Any]:
    data = payload.dict(exclude={"version"})
    return _do(
        request, session_id, lambda a, s: services.record_scale(a, s, payload.version, **data)
    )


@router.post("/{session_id}/side-effects", response=SessionOut, description=ERRORS)
def side_effects(request: HttpRequest, session_id: PathId, payload: SideEffectIn) -> dict[str, Any]:
    data = payload.dict(exclude={"version"})
    return _do(
        request, session_id, lambda a, s: services.record_side_effect(a, s, payload.version, **data)
    )


@router.post("/{session_id}/side-effects/resolve", response=SessionOut, description=ERRORS)
def resolve(request: HttpRequest, session_id: PathId, payload: ResolveIn) -> dict[str, Any]:
    return _do(
        request,
        session_id,
        lambda a, s: services.resolve_side_effect(
            a, s, payload.version, payload.effect_id, payload.resolved_at
        ),
    )


@router.post("/{session_id}/rescue", response=SessionOut, description=ERRORS)
def rescue(request: HttpRequest, session_id: PathId, payload: RescueIn) -> dict[str, Any]:
    data = payload.dict(exclude={"version"})
    return _do(
        request, session_id, lambda a, s: services.record_rescue(a, s, payload.version, **data)
    )


@router.post("/{session_id}/rescue/ack", response=SessionOut, description=ERRORS)
def rescue_ack(request: HttpRequest, session_id: PathId, payload: RescueAckIn) -> dict[str, Any]:
    return _do(
        request,
        session_id,
        lambda a, s: services.acknowledge_rescue(a, s, payload.version, payload.rescue_id),
    )


@router.post("/{session_id}/controlled-substance", response=SessionOut, description=ERRORS)
def cs_log(request: HttpRequest, session_id: PathId, payload: CsLogIn) -> dict[str, Any]:
    actor = staff_user(request)
    session = selectors.get_session(actor, session_id, audit=False)  # 403/404 before the input
    witness = User.objects.filter(pk=payload.witness_id, clinic_id=actor.clinic_pk).first()
    if witness is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"witness_id": ["No such user in your clinic."]})
    data = payload.dict(exclude={"version", "witness_id"})
    _write(lambda: services.record_cs_log(actor, session, payload.version, witness=witness, **data))
    return _summary(actor, session_id)


@router.post("/{session_id}/notes", response=SessionOut, description=ERRORS)
def notes(request: HttpRequest, session_id: PathId, payload: NoteIn) -> dict[str, Any]:
    return _do(
        request, session_id, lambda a, s: services.add_note(a, s, payload.version, payload.text)
    )


@router.post("/{session_id}/discharge", response=SessionOut, description=ERRORS)
def discharge(request: HttpRequest, session_id: PathId, payload: DischargeIn) -> dict[str, Any]:
    # A field left out keeps the last assessment's answer; an explicit null/false clears it.
    data = payload.dict(exclude={"version"}, exclude_unset=True)
    return _do(
        request, session_id, lambda a, s: services.record_discharge(a, s, payload.version, **data)
    )


@router.get(
    "/{session_id}/signing-summary",
    response=SigningSummaryOut,
    summary="Signing summary",
    description="The session's deviations, overrides and alerts, as on the signing screen. "
    + ERRORS,
)
def signing_summary(request: HttpRequest, session_id: PathId) -> dict[str, Any]:
    actor = staff_user(request)
    session = selectors.get_session(actor, session_id)
    summary = derive.exception_summary(session, timezone.now())
    return {
        "requires_attestation": summary.requires_attestation,
        "max_pause_minutes": summary.max_pause.value,
        "max_pause_needs_local_signoff": summary.max_pause.needs_local_signoff,
        "exceptions": services.summary_rows(summary),
    }


@router.post("/{session_id}/sign", response=SignedOut, description=ERRORS)
def sign(request: HttpRequest, session_id: PathId, payload: SessionSignIn) -> dict[str, Any]:
    actor = staff_user(request)
    session = selectors.get_session(actor, session_id, audit=False)
    result = _write(
        lambda: services.sign_session(actor, session, payload.version, payload.attestation)
    )
    step = result.next_step
    proposal = None
    if step is not None:
        proposal = {"action": step.action.value, "note": result.note}
        if step.session is not None:
            proposal["on"] = step.session.on.isoformat()
    att = SigningAttestation.objects.filter(session_id=session_id).select_related("by").first()
    attestation = (
        None
        if att is None
        else {"text": att.text, "by": str(att.by), "at": att.at, "exceptions": att.exceptions}
    )
    return {
        "session": _summary(actor, session_id),
        "next_proposal": proposal,
        "attestation": attestation,
    }


@router.post("/{session_id}/amend", response=SessionOut, description=ERRORS)
def amend(request: HttpRequest, session_id: PathId, payload: AmendIn) -> dict[str, Any]:
    return _do(
        request,
        session_id,
        lambda a, s: services.amend(
            a, s, payload.version, text=payload.text, reason=payload.reason
        ),
    )


# ---------------------------------------------------------------------------- REMS-style record
# The same scoped, audited reads and the one write as the REMS pages (`rems`); a session that
# is not esketamine is a 404 naming why.


class SubmittedIn(InputSchema):
    reference: Text = ""


class SubmittedOut(Schema):
    session_id: int
    reference: str
    submitted_by: str
    submitted_at: datetime


class DueOut(Schema):
    session_id: int
    patient_id: int
    mrn: str
    session_date: date
    submit_by: date
    days_left: int
    overdue: bool
    label: str = Field(description='"due in N days", "due today" or "overdue by N days".')
    signed: bool
    signed_by: str


class FormsDueOut(Schema):
    due: list[DueOut]
    overdue: list[DueOut]


def _rems(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except rems.NotApplicable as exc:
        raise HttpError(404, str(exc)) from exc


def _due(row: rems.DueRow) -> dict[str, Any]:
    s = row.session
    return {
        "session_id": s.pk,
        "patient_id": s.patient_id,
        "mrn": s.patient.mrn,
        "session_date": row.session_date,
        "submit_by": row.submit_by,
        "days_left": row.days_left,
        "overdue": row.overdue,
        "label": row.label,
        "signed": row.signed,
        "signed_by": str(s.signed_by or ""),
    }


@router.get(
    "/rems/due",
    response=FormsDueOut,
    summary="REMS forms due",
    description="Dosed esketamine sessions, signed or not, whose official form is not marked "
    "submitted (due within 7 days of the session, or overdue). " + ERRORS,
)
def rems_due(request: HttpRequest) -> dict[str, Any]:
    due, overdue = rems.forms_due(staff_user(request))
    return {"due": [_due(r) for r in due], "overdue": [_due(r) for r in overdue]}


@router.get(
    "/{session_id}/rems",
    response=dict[str, Any],
    summary="REMS-style monitoring record",
    description=f"{rems.NOT_OFFICIAL} Audited as an export. " + ERRORS,
)
def rems_record(request: HttpRequest, session_id: PathId) -> dict[str, Any]:
    form = _rems(lambda: rems.export_form(staff_user(request), session_id, fmt="json"))
    return {
        **asdict(form),
        "title": rems.TITLE,
        "not_official": rems.NOT_OFFICIAL,
        "submit_by": form.submit_by,
        "vitals_ok_before_dosing": form.vitals_ok_before_dosing,
        "vitals_ok_before_end": form.vitals_ok_before_end,
        "meets_minimum_monitoring": form.meets_minimum_monitoring,
        "adverse_events_reported": form.adverse_events_reported,
    }


@router.get(
    "/{session_id}/rems.pdf",
    summary="REMS-style monitoring record (PDF)",
    description="The same record as a PDF download, audited as an export. " + ERRORS,
)
def rems_record_pdf(request: HttpRequest, session_id: PathId) -> HttpResponse:
    form = _rems(lambda: rems.export_form(staff_user(request), session_id, fmt="pdf"))
    response = HttpResponse(pdf.render(form), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{form.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/{session_id}/rems/submitted",
    response={201: SubmittedOut},
    summary="Mark the official REMS form submitted",
    description="Once per signed esketamine session (422 before signing or a second time). "
    + ERRORS,
)
def rems_submitted(request: HttpRequest, session_id: PathId, payload: SubmittedIn) -> Status:
    row = _rems(
        lambda: rems.mark_submitted(staff_user(request), session_id, reference=payload.reference)
    )
    return Status(
        201,
        {
            "session_id": row.session_id,
            "reference": row.reference,
            "submitted_by": str(row.submitted_by),
            "submitted_at": row.submitted_at,
        },
    )
