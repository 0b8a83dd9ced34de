"""The home dose diary as JSON (staff only), through the same selectors and services as its
pages. The patient writes only through their portal link's pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from ketaflow.accounts.requests import staff_user
from ketaflow.homediary import selectors, services
from ketaflow.homediary.models import DiaryEntry, HomeAlert
from ketaflow.homediary.schemas import (
    HomeAlertAckIn,
    HomeAlertOut,
    HomeAlertParams,
    HomeDiaryOut,
    HomeEntryAckIn,
    HomeEntryOut,
    HomeMissedOut,
)
from ketaflow.homediary.selectors import concerns_of
from ketaflow.lib.api_schemas import PathId
from ketaflow.lib.clock import clinic_today

router = Router(tags=["homediary"])

ERRORS = "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 422 bad input."


def _entry(e: DiaryEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "patient_id": e.patient_id,
        "supply_id": e.supply_id,
        "taken_at": e.taken_at,
        "dose_mg": e.dose_mg,
        "side_effects": list(e.side_effects),
        "other_effect": e.other_effect,
        "worst_severity": e.worst_severity,
        "breathing_trouble": e.breathing_trouble,
        "fainted": e.fainted,
        "detached": e.detached,
        "drowsy": e.drowsy,
        "sbp": e.sbp,
        "dbp": e.dbp,
        "note": e.note,
        "status": e.status,
        "recorded_at": e.recorded_at,
        "concerns": [
            {
                "code": c.code,
                "message": c.message,
                "sources": [s.key for s in c.sources],
                "needs_local_signoff": c.needs_local_signoff,
            }
            for c in concerns_of(e)
        ],
        "acknowledged_at": e.acknowledged_at,
        "acknowledged_by": e.acknowledged_by.display_name if e.acknowledged_by else None,
        "acknowledged_note": e.acknowledged_note,
    }


def _alert(a: HomeAlert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "patient_id": a.patient_id,
        "mrn": a.patient.mrn,
        "kind": a.kind,
        "entry_id": a.entry_id,
        "codes": list(a.codes),
        "message": a.message,
        "raised_at": a.raised_at,
        "emailed_to": list(a.emailed_to),
        "acknowledged_at": a.acknowledged_at,
        "acknowledged_by": a.acknowledged_by.display_name if a.acknowledged_by else None,
        "action_note": a.action_note,
    }


@router.get(
    "/patients/{patient_id}/entries",
    response=HomeDiaryOut,
    summary="A patient's home dose diary (newest first), with missed dose days",
    description=ERRORS,
)
def entries(request: HttpRequest, patient_id: PathId) -> dict[str, Any]:
    actor = staff_user(request)
    assert actor.clinic is not None
    found = selectors.patient_diary(actor, patient_id, clinic_today(actor.clinic))
    return {
        "patient_id": found.patient.pk,
        "home_mg": found.home_mg,
        "missed_days": found.missed,
        "entries": [_entry(v.entry) for v in found.entries],
    }


@router.post(
    "/entries/{entry_id}/acknowledge",
    response=HomeEntryOut,
    summary="Acknowledge a diary entry (a note is needed when it raised an alert)",
    description=ERRORS,
)
def acknowledge_entry(request: HttpRequest, entry_id: PathId, payload: HomeEntryAckIn) -> Any:
    actor = staff_user(request)
    entry = selectors.get_entry(actor, entry_id)
    return _entry(services.acknowledge_entry(actor, entry, payload.note))


@router.get(
    "/alerts",
    response=list[HomeAlertOut],
    summary="The clinic's home alerts (open ones first)",
    description=ERRORS,
)
def alerts(request: HttpRequest, params: Query[HomeAlertParams]) -> list[dict[str, Any]]:
    return [
        _alert(a) for a in selectors.home_alerts(staff_user(request), open_only=params.open_only)
    ]


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response=HomeAlertOut,
    summary="Acknowledge a home alert with what was done",
    description=ERRORS,
)
def acknowledge_alert(request: HttpRequest, alert_id: PathId, payload: HomeAlertAckIn) -> Any:
    actor = staff_user(request)
    alert = selectors.get_alert(actor, alert_id)
    return _alert(services.acknowledge_alert(actor, alert, payload.action_note))


@router.get(
    "/missed",
    response=list[HomeMissedOut],
    summary="Dose days of the take-home schedules with no diary entry, across the clinic",
    description=ERRORS,
)
def missed(request: HttpRequest) -> list[dict[str, Any]]:
    actor = staff_user(request)
    assert actor.clinic is not None
    rows = selectors.missed_entries(actor, clinic_today(actor.clinic))
    return [{"patient_id": r.patient.pk, "mrn": r.patient.mrn, "day": r.day} for r in rows]
