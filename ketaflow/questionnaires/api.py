"""Rating scales as JSON: the instruments (licence-aware), and striking a response.

Mounted inside the screening router (`/api/v1/screening/...`). Listing and recording a
patient's responses (`/patients/{id}/responses`) are served by `screening.api`, which finds
the patient through the screening selector; this app stands below screening and does not.
The schemas here are theirs too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from ketaflow.accounts.requests import staff_user
from ketaflow.clinical.instruments import INSTRUMENTS, ItemInstrument, Licence, TotalInstrument
from ketaflow.lib.api_schemas import Bool, InputSchema, IsoDateTime, PathId, Text, text
from ketaflow.questionnaires.models import Context, RaterKind
from ketaflow.questionnaires.selectors import get_response
from ketaflow.questionnaires.services import mark_response_entered_in_error

router = Router(tags=["questionnaires"])
ERRORS = "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 422 bad input."


class ItemOut(Schema):
    number: int
    key: str
    label: str
    text: str | None
    minimum: int
    maximum: int
    scored: bool
    required: bool


class InstrumentOut(Schema):
    code: str
    name: str
    full_name: str
    rater: str
    recall_period: str
    licence: str
    patient_facing: bool
    entry: Literal["items", "total", "risk"]
    items: list[ItemOut]
    minimum: int | None = None
    maximum: int | None = None


def _instrument(code: str) -> dict[str, Any]:
    i = INSTRUMENTS[code]
    out: dict[str, Any] = {
        "code": i.code,
        "name": i.name,
        "full_name": i.full_name,
        "rater": i.rater.value,
        "recall_period": i.recall_period,
        "licence": i.licence.value,
        "patient_facing": i.licence.patient_facing,
        "items": [],
    }
    if isinstance(i, ItemInstrument):
        free = i.licence is Licence.FREE
        out["entry"] = "items"
        out["minimum"], out["maximum"] = i.minimum, i.maximum
        out["items"] = [
            {
                "number": it.number,
                "key": it.key,
                "label": it.label,
                "text": it.text if free else None,
                "minimum": it.minimum,
                "maximum": it.maximum,
                "scored": it.scored,
                "required": it.required,
            }
            for it in i.items
        ]
    elif isinstance(i, TotalInstrument):
        out["entry"] = "total"
        out["minimum"], out["maximum"] = i.minimum, i.maximum
    else:
        out["entry"] = "risk"
    return out


@router.get("/instruments", response=list[InstrumentOut], summary="Rating instruments")
def instruments(request: HttpRequest) -> list[dict[str, Any]]:
    """Every instrument; published wording only for free ones, no items for licensed ones."""
    staff_user(request)
    return [_instrument(code) for code in INSTRUMENTS]


class ResponseIn(InputSchema):
    instrument: Text = Field(..., max_length=20, description="Instrument code, e.g. gad7")
    answers: dict[str, int | None] | list[int | None] | None = Field(
        None,
        description="Item answers: a list in item order or an object keyed by item key or "
        "number. Not accepted for licensed instruments (Y-BOCS, PDSS, C-SSRS).",
    )
    total: int | None = Field(None, description="Licensed total-only instruments only")
    risk: Text | None = Field(None, max_length=20, description="C-SSRS risk level")
    agoraphobia: Bool | None = Field(None, description="PDSS: bands differ with agoraphobia")
    context: Context
    rater: RaterKind
    administered_at: IsoDateTime
    context_ref: Text = text(64, "What it belongs to, e.g. 'session:42'", default="")


class ResponseOut(Schema):
    id: int
    instrument: str
    licence: str
    answers: list[int | None]
    total: int | None
    risk_level: str
    severity: str
    band_set: str
    flags: list[dict[str, Any]]
    subscales: dict[str, int]
    sources: list[str]
    rater: str
    context: str
    context_ref: str
    administered_at: datetime
    status: str
    status_reason: str
    recorded_at: datetime
    recorded_by: str | None

    @staticmethod
    def resolve_recorded_by(obj: Any) -> str | None:
        user = getattr(obj, "recorded_by", None)
        return user.display_name if user is not None else None


class ListParams(Schema):
    instrument: Text | None = Field(None, max_length=20)


class ResponseReasonIn(InputSchema):
    reason: Text = text(500, "Why (kept in the record)", min_length=1)


@router.post(
    "/patients/{patient_id}/responses/{response_id}/entered-in-error",
    response=ResponseOut,
    summary="Mark a response entered in error",
    description=ERRORS,
)
def withdraw_response(
    request: HttpRequest, patient_id: PathId, response_id: PathId, payload: ResponseReasonIn
) -> Any:
    actor = staff_user(request)
    response = get_response(actor, patient_id, response_id)
    return mark_response_entered_in_error(actor, response, payload.reason)
