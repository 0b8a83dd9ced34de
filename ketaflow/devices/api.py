"""The devices app as JSON, through the same services as its pages.

Device readings (a session's monitor values waiting for a nurse) and the holding queue
(messages whose patient or chair was not matched). Errors: 403 your role may not, 404 not in
your clinic, 409 the session changed since you saw it (send its current `version`), 422 input.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from ketaflow.accounts.requests import staff_user
from ketaflow.devices import review, selectors
from ketaflow.devices.models import DeviceReading, InboundMessage
from ketaflow.lib.api_schemas import Id, InputSchema, PathId, Text
from ketaflow.treatments.services import SessionConflict

router = Router(tags=["devices"])
ERRORS = "Errors: 403 role may not, 404 not in your clinic, 409 stale session version, 422 input."


class ReadingOut(Schema):
    id: int
    session_id: int
    message_id: int
    observed_at: datetime
    status: str
    sbp: float | None
    dbp: float | None
    map: float | None
    hr: float | None
    spo2: float | None
    rr: float | None
    temp_c: float | None
    alerts: list[dict[str, Any]] = Field(
        description="The core's alerts computed when the reading arrived (code, level, message)."
    )
    sources: dict[str, Any] = Field(description="Per vital: the OBX code, OBX-4, raw value, unit.")
    notes: list[str]
    vitals_reading_id: int | None
    reject_reason: str


class MessageOut(Schema):
    id: int
    received_at: datetime
    status: str
    reason: str
    sending_app: str
    control_id: str
    patient_ref: str
    location: str
    device: str
    session_id: int | None
    raw: str
    resolution_reason: str


class ReadingConfirmIn(InputSchema):
    version: int = Field(..., ge=1, description="The session version you saw.")


class DeviceReasonIn(InputSchema):
    reason: Text = Field(..., min_length=1, max_length=300)


class AssignIn(InputSchema):
    session_id: Id


def _reading(r: DeviceReading) -> dict[str, Any]:
    return {
        "id": r.pk,
        "session_id": r.session_id,
        "message_id": r.message_id,
        "observed_at": r.observed_at,
        "status": r.status,
        "sbp": r.sbp,
        "dbp": r.dbp,
        "map": r.map,
        "hr": r.hr,
        "spo2": r.spo2,
        "rr": r.rr,
        "temp_c": r.temp_c,
        "alerts": r.alerts,
        "sources": r.sources,
        "notes": r.notes,
        "vitals_reading_id": r.vitals_reading_id,
        "reject_reason": r.reject_reason,
    }


def _message(m: InboundMessage) -> dict[str, Any]:
    return {
        "id": m.pk,
        "received_at": m.received_at,
        "status": m.status,
        "reason": m.reason,
        "sending_app": m.sending_app,
        "control_id": m.control_id,
        "patient_ref": m.patient_ref,
        "location": m.location,
        "device": m.device,
        "session_id": m.session_id,
        "raw": m.raw,
        "resolution_reason": m.resolution_reason,
    }


@router.get("/sessions/{session_id}/readings", response=list[ReadingOut], description=ERRORS)
def session_readings(request: HttpRequest, session_id: PathId, pending: bool = False) -> Any:
    """A session's device readings, newest first (`?pending=true`: only those to decide)."""
    rows = selectors.session_readings(staff_user(request), session_id, pending_only=pending)
    return [_reading(r) for r in rows]


@router.post("/readings/{reading_id}/confirm", response={201: dict[str, Any]}, description=ERRORS)
def confirm(request: HttpRequest, reading_id: PathId, payload: ReadingConfirmIn) -> Any:
    """Chart the monitor's values as a flowsheet reading (its alerts then computed as usual)."""
    try:
        vitals = review.confirm_reading(staff_user(request), reading_id, payload.version)
    except SessionConflict as exc:
        raise HttpError(409, exc.message) from exc
    return Status(201, {"vitals_reading_id": vitals.pk, "device_reading_id": reading_id})


@router.post("/readings/{reading_id}/reject", response=ReadingOut, description=ERRORS)
def reject(request: HttpRequest, reading_id: PathId, payload: DeviceReasonIn) -> Any:
    return _reading(review.reject_reading(staff_user(request), reading_id, payload.reason))


@router.get("/held", response=list[MessageOut], description=ERRORS)
def held(request: HttpRequest, resolved: bool = False) -> Any:
    """The holding queue: messages whose patient or chair was not matched."""
    return [
        _message(m) for m in selectors.held_messages(staff_user(request), include_resolved=resolved)
    ]


@router.post("/held/{message_id}/assign", response={201: list[ReadingOut]}, description=ERRORS)
def assign(request: HttpRequest, message_id: PathId, payload: AssignIn) -> Any:
    """Assign a held message to an active session: its readings are made for a nurse to confirm."""
    readings = review.assign_message(staff_user(request), message_id, payload.session_id)
    return Status(201, [_reading(r) for r in readings])


@router.post("/held/{message_id}/dismiss", response=MessageOut, description=ERRORS)
def dismiss(request: HttpRequest, message_id: PathId, payload: DeviceReasonIn) -> Any:
    return _message(review.dismiss_message(staff_user(request), message_id, payload.reason))
