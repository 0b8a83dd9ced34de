"""The chart as JSON: the same selectors and services as the pages, nothing decided here.

Each kind of chart entry (`entries.ENTRY_KINDS`) gets its own typed routes, generated from
`schemas.ENTRY_SCHEMAS`, so the OpenAPI document describes every field. An unknown kind
is a 404 in the same JSON shape as every other error.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from ketaflow.accounts.requests import staff_user
from ketaflow.lib.api_schemas import PathId, Text
from ketaflow.patients.entries import ENTRY_KINDS
from ketaflow.patients.schemas import (
    ENTRY_SCHEMAS,
    ChartOut,
    EnteredInError,
    EntrySchemas,
    PatientListOut,
    PatientOut,
    PatientPatch,
    PatientRegisterIn,
    PossibleDuplicatesOut,
    plain,
)
from ketaflow.patients.selectors import (
    entry_history,
    get_chart,
    get_entry,
    get_patient,
    likely_duplicates,
    search_patients,
)
from ketaflow.patients.services import (
    add_entry,
    amend_demographics,
    amend_entry,
    mark_entered_in_error,
    register_patient,
)

router = Router(tags=["patients"])

ERRORS = "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 422 bad input."


# ---------------------------------------------------------------------------- demographics


class SearchParams(Schema):
    q: Text = Field(
        "",
        max_length=200,
        description="Words to match against name, preferred name and MRN, or a date of "
        "birth as YYYY-MM-DD. Empty lists the clinic's patients.",
    )
    limit: int = Field(50, ge=1, le=200, description="At most this many (1–200)")


@router.get("", response=PatientListOut, summary="Search patients", description=ERRORS)
def search(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    patients = search_patients(staff_user(request), params.q, limit=params.limit)
    return {"items": patients, "limit": params.limit}


@router.post(
    "",
    response={201: PatientOut, 409: PossibleDuplicatesOut},
    summary="Register a patient",
    description="Likely duplicates (a patient of your clinic with the same name and date of "
    "birth, or the same phone number, as on the registration page) answer 409 with "
    "`possible_duplicates`, and nothing is registered: send again with their ids in "
    "`not_duplicate_of` once checked that this is someone else. "
    + ERRORS.replace("404 not in your clinic, ", "409 possible duplicates, "),
)
def register(request: HttpRequest, payload: PatientRegisterIn) -> Status[Any]:
    actor = staff_user(request)
    values = plain(payload)
    checked = set(values.pop("not_duplicate_of", []))
    duplicates = likely_duplicates(
        actor,
        given_name=payload.given_name,
        family_name=payload.family_name,
        date_of_birth=payload.date_of_birth,
        phone=payload.phone,
    )
    unchecked = [d for d in duplicates if d.patient.pk not in checked]
    if unchecked:
        names = ", ".join(f"{d.patient.full_name} ({d.patient.mrn})" for d in unchecked)
        return Status(
            409,
            {
                "detail": [
                    {
                        "loc": ["body"],
                        "msg": f"May already be registered: {names}. Check, then send their "
                        "ids in `not_duplicate_of` to register a different person.",
                        "type": "possible_duplicate",
                    }
                ],
                "possible_duplicates": [
                    {
                        "id": d.patient.pk,
                        "mrn": d.patient.mrn,
                        "given_name": d.patient.given_name,
                        "family_name": d.patient.family_name,
                        "date_of_birth": d.patient.date_of_birth,
                        "reasons": list(d.reasons),
                    }
                    for d in unchecked
                ],
            },
        )
    return Status(201, register_patient(actor, **values))


@router.get("/{patient_id}", response=PatientOut, summary="Demographics", description=ERRORS)
def demographics(request: HttpRequest, patient_id: PathId) -> Any:
    return get_patient(staff_user(request), patient_id)


@router.patch(
    "/{patient_id}", response=PatientOut, summary="Amend demographics", description=ERRORS
)
def amend(request: HttpRequest, patient_id: PathId, payload: PatientPatch) -> Any:
    actor = staff_user(request)
    patient = get_patient(actor, patient_id, audit=False)
    return amend_demographics(actor, patient, plain(payload), payload.reason)


@router.get("/{patient_id}/chart", response=ChartOut, summary="The chart", description=ERRORS)
def chart(request: HttpRequest, patient_id: PathId) -> dict[str, Any]:
    result = get_chart(staff_user(request), patient_id)
    return {
        "patient": result.patient,
        **{slug.replace("-", "_"): entries for slug, entries in result.entries.items()},
        "latest_weight_kg": result.latest_weight_kg,
        "latest_height_cm": result.latest_height_cm,
        "bmi": result.bmi,
    }


# ---------------------------------------------------------------------------- chart entries


def _entry_of(request: HttpRequest, slug: str, patient_id: int, entry_id: int) -> Any:
    record = get_entry(staff_user(request), slug, entry_id)
    if record.patient_id != patient_id:
        raise Http404("No such entry for this patient.")
    return record


def _add_entry_routes(slug: str, schemas: EntrySchemas) -> None:
    kind = ENTRY_KINDS[slug]
    op = slug.replace("-", "_")
    base = f"/{{patient_id}}/{slug}"
    title = kind.title.lower()
    tags = [f"chart: {slug}"]

    def list_entries(request: HttpRequest, patient_id: PathId) -> Any:
        return get_chart(staff_user(request), patient_id).entries[slug]

    def add(request: HttpRequest, patient_id: PathId, payload: Schema) -> Status[Any]:
        actor = staff_user(request)
        patient = get_patient(actor, patient_id, audit=False)
        return Status(201, add_entry(actor, patient, slug, plain(payload)))

    def amend(request: HttpRequest, patient_id: PathId, entry_id: PathId, payload: Any) -> Any:
        record = _entry_of(request, slug, patient_id, entry_id)
        return amend_entry(staff_user(request), record, plain(payload), payload.reason)

    def withdraw(
        request: HttpRequest, patient_id: PathId, entry_id: PathId, payload: EnteredInError
    ) -> Any:
        record = _entry_of(request, slug, patient_id, entry_id)
        return mark_entered_in_error(staff_user(request), record, payload.reason)

    def history(request: HttpRequest, patient_id: PathId, entry_id: PathId) -> Any:
        record = _entry_of(request, slug, patient_id, entry_id)
        return entry_history(staff_user(request), record)

    add.__annotations__["payload"] = schemas.create
    amend.__annotations__["payload"] = schemas.patch

    router.get(
        base,
        response=list[schemas.out],  # type: ignore[name-defined]
        operation_id=f"list_{op}",
        summary=f"List {title}",
        tags=tags,
        description=f"Every entry, including withdrawn ones. {ERRORS}",
    )(list_entries)
    router.post(
        base,
        response={201: schemas.out},
        operation_id=f"add_{op}",
        summary=f"Add to {title}",
        tags=tags,
        description=ERRORS,
    )(add)
    router.patch(
        f"{base}/{{entry_id}}",
        response=schemas.out,
        operation_id=f"amend_{op}",
        summary=f"Amend an entry of {title}",
        tags=tags,
        description=f"Old values and the reason stay in the entry's history. {ERRORS}",
    )(amend)
    router.post(
        f"{base}/{{entry_id}}/entered-in-error",
        response=schemas.out,
        operation_id=f"withdraw_{op}",
        summary="Mark entered in error",
        tags=tags,
        description=f"The entry stays, marked as a mistake, with the reason. {ERRORS}",
    )(withdraw)
    router.get(
        f"{base}/{{entry_id}}/history",
        response=list[schemas.version],  # type: ignore[name-defined]
        operation_id=f"history_{op}",
        summary="Entry history",
        tags=tags,
        description=f"Every version, newest first, with who changed it and why. {ERRORS}",
    )(history)


for _slug, _schemas in ENTRY_SCHEMAS.items():
    _add_entry_routes(_slug, _schemas)


# ---------------------------------------------------------------------------- unknown kinds


def _no_such_kind(kind: str) -> Http404:
    if kind in ENTRY_KINDS:
        return Http404("Not found.")
    known = ", ".join(ENTRY_KINDS)
    return Http404(f"No kind of chart entry called {kind!r}; known kinds: {known}.")


@router.api_operation(["GET", "POST"], "/{patient_id}/{kind}", include_in_schema=False)
def unknown_kind(request: HttpRequest, patient_id: str, kind: str) -> None:
    raise _no_such_kind(kind)


@router.api_operation(["PATCH"], "/{patient_id}/{kind}/{entry_id}", include_in_schema=False)
def unknown_kind_entry(request: HttpRequest, patient_id: str, kind: str, entry_id: str) -> None:
    raise _no_such_kind(kind)


@router.api_operation(
    ["GET", "POST"], "/{patient_id}/{kind}/{entry_id}/{action}", include_in_schema=False
)
def unknown_kind_action(
    request: HttpRequest, patient_id: str, kind: str, entry_id: str, action: str
) -> None:
    raise _no_such_kind(kind)
