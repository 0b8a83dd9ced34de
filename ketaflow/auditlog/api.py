"""The audit log as JSON, for clinic admins (VIEW_AUDIT), scoped to their clinic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from ketaflow.accounts.requests import staff_user
from ketaflow.audit.models import AccessEvent, Action
from ketaflow.auditlog.selectors import events_for, patient_access_log
from ketaflow.lib.api_schemas import Id, IsoDateTime, PathId, choices_description

router = Router(tags=["audit"])

MAX_LIMIT = 500


class EventOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str = Field(description="Who, as they were named then")
    patient_id: int | None
    action: str
    object_type: str = Field(description="e.g. patients.Medication")
    object_id: str
    detail: dict[str, Any]
    ip_address: str | None
    user_agent: str
    request_id: str
    path: str
    channel: str = Field(description="web, api, cli, hl7 or system")


class EventPageOut(Schema):
    items: list[EventOut]
    count: int = Field(description="How many events match in all")
    limit: int
    offset: int


class Page(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=10**9, description="How many to skip")


class EventFilters(Schema):
    patient: Id | None = Field(None, description="Only events about this patient id")
    actor: Id | None = Field(None, description="Only events by this user id")
    action: Action | None = Field(
        None, description=choices_description("Only this action.", Action)
    )
    since: IsoDateTime | None = Field(
        None, description="From this time (inclusive); ISO 8601, clinic time if no offset"
    )
    until: IsoDateTime | None = Field(
        None, description="Before this time (exclusive); ISO 8601, clinic time if no offset"
    )


def _page(qs: QuerySet[AccessEvent], page: Page) -> dict[str, Any]:
    return {
        "items": list(qs[page.offset : page.offset + page.limit]),
        "count": qs.count(),
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get("/events", response=EventPageOut, summary="Audit events (clinic admin)")
def events(request: HttpRequest, filters: Query[EventFilters], page: Query[Page]) -> dict[str, Any]:
    qs = events_for(
        staff_user(request),
        patient_id=filters.patient,
        actor_id=filters.actor,
        action=filters.action.value if filters.action else None,
        since=filters.since,
        until=filters.until,
    )
    return _page(qs, page)


@router.get(
    "/patients/{patient_id}/access-log",
    response=EventPageOut,
    summary="Who read or changed this patient's record (clinic admin)",
)
def access_log(request: HttpRequest, patient_id: PathId, page: Query[Page]) -> dict[str, Any]:
    return _page(patient_access_log(staff_user(request), patient_id), page)
