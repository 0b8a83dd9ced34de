"""The portal app as JSON, through the same services as its pages (staff only).

Issue and revoke a patient's questionnaire link, list forms due, list and acknowledge risk
alerts. Patients never use the API: their pages are reached by the secret link.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from ketaflow.accounts.requests import staff_user
from ketaflow.lib.api_schemas import Bool, InputSchema, PathId, Text, text
from ketaflow.portal import selectors, services
from ketaflow.treatments import selectors as sessions
from ketaflow.treatments.services import SessionConflict

router = Router(tags=["portal"])
ERRORS = "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 422 bad input."


class LinkIn(InputSchema):
    instruments: list[Text] = Field(
        default_factory=list,
        max_length=5,
        description="Forms to ask for now (gad7, phq9, pcl5), besides those the schedule makes "
        "due. Licensed or clinician-rated scales are refused.",
    )
    expires_in_days: int | None = Field(None, ge=1, le=services.MAX_LINK_DAYS)
    send_email: Bool = Field(False, description="Email the link to the patient's address")


class LinkOut(Schema):
    id: int
    patient_id: int
    prefix: str
    instruments: list[str]
    origin: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    emailed_to: str


class IssuedOut(LinkOut):
    token: str = Field(description="The secret, shown once; only its hash is kept.")
    url: str


class QuestionnaireDueOut(Schema):
    patient_id: int
    mrn: str
    patient_name: str
    course_id: int
    instrument: str
    instrument_name: str
    due_on: date
    closes_on: date
    status: str


class AlertOut(Schema):
    id: int
    patient_id: int
    mrn: str
    response_id: int
    flag_code: str
    message: str
    source: str = Field(description="patient_link (the patient answered) or staff_entry")
    entered_by: str | None = Field(None, description="Who entered it (staff entries only)")
    raised_at: datetime
    emailed_to: list[str]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    action_note: str
    assessment_id: int | None = Field(
        None, description="The prescriber's suicide risk assessment that resolved it"
    )


class AlertParams(Schema):
    open_only: bool = Field(False, description="Only alerts not yet acknowledged")


class RiskAlertAckIn(InputSchema):
    action_note: Text = text(2000, "What was done (kept with the alert)", min_length=1)


class RiskAssessmentIn(InputSchema):
    version: int = Field(..., ge=1, description="The session version you saw.")
    cssrs_response_id: int | None = Field(
        None, ge=1, description="Today's C-SSRS screen of this patient (a stored response)"
    )
    risk_level: str = Field(
        "",
        pattern="^(|low|moderate|high)$",
        description="Your risk level (low, moderate, high); blank = the C-SSRS screen's",
    )
    plan: Text = text(4000, "The plan (kept with the assessment)", min_length=1)
    decision: str = Field(..., pattern="^(proceed|defer)$", description="proceed or defer")


class RiskAssessmentOut(Schema):
    id: int
    session_id: int
    patient_id: int
    cssrs_response_id: int | None
    risk_level: str
    plan: str
    decision: str
    assessed_by: str
    assessed_at: datetime
    resolved_alert_ids: list[int]


def _link(link: Any) -> dict[str, Any]:
    return {
        "id": link.pk,
        "patient_id": link.patient_id,
        "prefix": link.prefix,
        "instruments": list(link.instruments),
        "origin": link.origin,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "emailed_to": link.emailed_to,
    }


def _alert(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "patient_id": a.patient_id,
        "mrn": a.patient.mrn,
        "response_id": a.response_id,
        "flag_code": a.flag_code,
        "message": a.message,
        "source": a.source.value,
        "entered_by": a.entered_by.display_name if a.entered_by else None,
        "raised_at": a.raised_at,
        "emailed_to": list(a.emailed_to),
        "acknowledged_at": a.acknowledged_at,
        "acknowledged_by": a.acknowledged_by.display_name if a.acknowledged_by else None,
        "action_note": a.action_note,
        "assessment_id": a.assessment_id,
    }


@router.post(
    "/patients/{patient_id}/links",
    response={201: IssuedOut},
    summary="Issue a questionnaire link for a patient",
    description=ERRORS,
)
def issue_link(request: HttpRequest, patient_id: PathId, payload: LinkIn) -> Any:
    actor = staff_user(request)
    patient = selectors.link_patient(actor, patient_id)
    issued = services.issue_link(
        actor,
        patient,
        instruments=payload.instruments,
        expires_in_days=payload.expires_in_days,
        send_email=payload.send_email,
    )
    return Status(201, {**_link(issued.link), "token": issued.token, "url": issued.url})


@router.get(
    "/patients/{patient_id}/links",
    response=list[LinkOut],
    summary="A patient's questionnaire links",
    description=ERRORS,
)
def list_links(request: HttpRequest, patient_id: PathId) -> Any:
    _patient, links = selectors.patient_links(staff_user(request), patient_id)
    return [_link(link) for link in links]


@router.post(
    "/links/{link_id}/revoke", response=LinkOut, summary="Revoke a link", description=ERRORS
)
def revoke_link(request: HttpRequest, link_id: PathId) -> Any:
    actor = staff_user(request)
    return _link(services.revoke_link(actor, selectors.get_link(actor, link_id)))


@router.get(
    "/due", response=list[QuestionnaireDueOut], summary="Forms due or overdue", description=ERRORS
)
def due(request: HttpRequest) -> Any:
    return [
        {
            "patient_id": r.patient.pk,
            "mrn": r.patient.mrn,
            "patient_name": r.patient.full_name,
            "course_id": r.course.pk,
            "instrument": r.instrument,
            "instrument_name": r.instrument_name,
            "due_on": r.due_on,
            "closes_on": r.closes_on,
            "status": r.status.value,
        }
        for r in selectors.due_forms(staff_user(request))
    ]


@router.get("/alerts", response=list[AlertOut], summary="Risk alerts", description=ERRORS)
def alerts(request: HttpRequest, params: Query[AlertParams]) -> Any:
    return [
        _alert(a) for a in selectors.risk_alerts(staff_user(request), open_only=params.open_only)
    ]


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response=AlertOut,
    summary="Acknowledge a risk alert with the action taken",
    description=ERRORS,
)
def acknowledge(request: HttpRequest, alert_id: PathId, payload: RiskAlertAckIn) -> Any:
    actor = staff_user(request)
    alert = selectors.get_alert(actor, alert_id)
    return _alert(services.acknowledge_alert(actor, alert, payload.action_note))


@router.post(
    "/sessions/{session_id}/risk-assessment",
    response={201: RiskAssessmentOut},
    summary="A prescriber's suicide risk assessment before a session (resolves risk alerts)",
    description=ERRORS + " 409 stale session version or dosing started.",
)
def risk_assessment(request: HttpRequest, session_id: PathId, payload: RiskAssessmentIn) -> Any:
    actor = staff_user(request)
    session = sessions.get_session(actor, session_id, audit=False)
    try:
        made = services.record_risk_assessment(
            actor,
            session,
            payload.version,
            plan=payload.plan,
            decision=payload.decision,
            risk_level=payload.risk_level,
            cssrs_response_id=payload.cssrs_response_id,
        )
    except SessionConflict as exc:
        raise HttpError(409, exc.message) from exc
    return Status(
        201,
        {
            "id": made.pk,
            "session_id": made.session_id,
            "patient_id": made.patient_id,
            "cssrs_response_id": made.cssrs_response_id,
            "risk_level": made.risk_level,
            "plan": made.plan,
            "decision": made.decision,
            "assessed_by": made.assessed_by.display_name,
            "assessed_at": made.assessed_at,
            "resolved_alert_ids": sorted(made.alerts.values_list("pk", flat=True)),
        },
    )
