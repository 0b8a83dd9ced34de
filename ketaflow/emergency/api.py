"""Emergency access as JSON: break the glass, read the emergency view, the admins' list.

The same services and selectors as the pages: a refusal is audited as denied, the view is the
grant holder's alone and stops at the grant's expiry (403), and nothing here writes a chart.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from ketaflow.accounts.requests import staff_user
from ketaflow.emergency import selectors, services
from ketaflow.emergency.models import EmergencyKind
from ketaflow.lib.api_schemas import Id, InputSchema, IsoDate, PathId, choices_description, text

router = Router(tags=["emergency"])


class EmergencyGrantIn(InputSchema):
    clinic: Id = Field(description="The patient's clinic (another of your organisation)")
    date_of_birth: IsoDate
    mrn: str = text(30, "The patient's MRN at their clinic", default="")
    family_name: str = text(100, "Only without the MRN: the exact family name", default="")
    kind: EmergencyKind = Field(
        description=choices_description("What the emergency is.", EmergencyKind)
    )
    reason: str = text(
        2000, f"Why, at least {services.REASON_MIN_CHARS} characters (else refused, audited)"
    )


class EmergencyGrantOut(Schema):
    id: int
    patient_id: int
    patient_clinic_id: int
    kind: str
    reason: str
    granted_at: datetime
    expires_at: datetime


class EmergencyReadingOut(Schema):
    taken_at: datetime
    sbp: float | None
    dbp: float | None
    hr: float | None
    spo2: float | None
    rr: float | None
    alerts: list[str] = Field(description="The vital-sign alerts the reading raised")


class EmergencySessionOut(Schema):
    id: int
    session_number: int
    checked_in_at: datetime
    status: str
    route: str
    ordered_mg: float | None
    delivered_mg: float = Field(description="Given, from the administration events")
    readings: list[EmergencyReadingOut]


class EmergencyViewOut(Schema):
    grant: EmergencyGrantOut
    minutes_left: int
    given_name: str
    family_name: str
    date_of_birth: date
    mrn: str
    sex_at_birth: str
    phone: str
    allergies: list[str]
    medications: list[str]
    diagnoses: list[str]
    open_risk_alerts: list[str]
    course: str | None = Field(description="The current course: protocol, version and phase")
    sessions: list[EmergencySessionOut]


class EmergencyReviewOut(Schema):
    clinic_id: int
    outcome: str
    note: str
    reviewed_by: str
    reviewed_at: datetime


class EmergencyGrantForAdminOut(Schema):
    grant: EmergencyGrantOut
    by: str = Field(description="Who broke the glass, with their role")
    by_clinic_id: int
    reviews: list[EmergencyReviewOut]


@router.post(
    "/grants",
    response={201: EmergencyGrantOut},
    summary="Break the glass (designated clinicians)",
)
def request_grant(request: HttpRequest, payload: EmergencyGrantIn) -> Any:
    grant = services.request_grant(
        staff_user(request),
        clinic_id=payload.clinic,
        date_of_birth=payload.date_of_birth,
        mrn=payload.mrn,
        family_name=payload.family_name,
        kind=payload.kind.value,
        reason=payload.reason,
        now=timezone.now(),
    )
    return Status(201, grant)


@router.get(
    "/grants/{grant_id}",
    response=EmergencyViewOut,
    summary="The emergency view under one's own open grant",
)
def emergency_view(request: HttpRequest, grant_id: PathId) -> dict[str, Any]:
    v = selectors.emergency_view(staff_user(request), grant_id, timezone.now())
    p = v.patient
    course = v.course
    return {
        "grant": v.grant,
        "minutes_left": v.minutes_left,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "date_of_birth": p.date_of_birth,
        "mrn": p.mrn,
        "sex_at_birth": p.sex_at_birth,
        "phone": p.phone,
        "allergies": [str(a) for a in v.allergies],
        "medications": [str(m) for m in v.medications],
        "diagnoses": [str(d) for d in v.diagnoses],
        "open_risk_alerts": [a.message for a in v.open_risk_alerts],
        "course": (f"{course.protocol_version} ({course.get_phase_display()})" if course else None),
        "sessions": [
            {
                "id": s.session.pk,
                "session_number": s.session.session_number,
                "checked_in_at": s.session.checked_in_at,
                "status": s.session.status,
                "route": s.session.route,
                "ordered_mg": s.ordered_mg,
                "delivered_mg": s.delivered_mg,
                "readings": [
                    {
                        "taken_at": r.reading.taken_at,
                        "sbp": r.reading.sbp,
                        "dbp": r.reading.dbp,
                        "hr": r.reading.hr,
                        "spo2": r.reading.spo2,
                        "rr": r.reading.rr,
                        "alerts": [a.message for a in r.alerts],
                    }
                    for r in s.readings
                ],
            }
            for s in v.sessions
        ],
    }


@router.get(
    "/reviews",
    response=list[EmergencyGrantForAdminOut],
    summary="Emergency access to or by the clinic, with reviews (clinic admin)",
)
def reviews(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "grant": g,
            "by": f"{g.user.display_name} ({g.user.get_role_display()})",
            "by_clinic_id": g.clinic_id,
            "reviews": [
                {
                    "clinic_id": r.clinic_id,
                    "outcome": r.outcome,
                    "note": r.note,
                    "reviewed_by": r.reviewed_by.display_name,
                    "reviewed_at": r.reviewed_at,
                }
                for r in g.reviews.all()
            ],
        }
        for g in selectors.review_list(staff_user(request))
    ]
