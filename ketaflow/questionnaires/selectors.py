"""Reads of rating-scale responses: scoped to the actor's clinic, audited when patient data is read.

`latest_scores` and `open_safety_flags` take a patient the caller has already scoped (the
screening facts builder and pages use them) and are not audited themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import get_instrument
from ketaflow.patients.models import Patient
from ketaflow.questionnaires.models import InstrumentResponse


def _patient(actor: User, patient_id: int) -> Patient:
    if not actor.can(Capability.VIEW_CLINICAL):
        raise PermissionDenied("Your role cannot read rating scales.")
    try:
        return Patient.objects.get(pk=patient_id, clinic_id=actor.clinic_pk)
    except Patient.DoesNotExist:
        raise Http404("No such patient in your clinic.") from None


def responses_for(
    actor: User, patient_id: int, instrument: str | None = None
) -> list[InstrumentResponse]:
    """Every response of the patient (newest first), including withdrawn ones; audited."""
    patient = _patient(actor, patient_id)
    qs = InstrumentResponse.objects.filter(patient=patient).select_related("recorded_by")
    if instrument:
        try:
            code = get_instrument(instrument).code
        except ClinicalInputError as exc:
            from django.core.exceptions import ValidationError

            raise ValidationError({"instrument": [exc.message]}) from exc
        qs = qs.filter(instrument=code)
    responses = list(qs)
    record_event(
        actor=actor,
        action=Action.VIEW,
        obj=patient,
        detail={"part": "instrument_responses", "instrument": instrument or "all"},
    )
    return responses


def get_response(actor: User, patient_id: int, response_id: int) -> InstrumentResponse:
    patient = _patient(actor, patient_id)
    try:
        response = InstrumentResponse.objects.get(pk=response_id, patient=patient)
    except InstrumentResponse.DoesNotExist:
        raise Http404("No such response for this patient.") from None
    record_event(actor=actor, action=Action.VIEW, obj=response)
    return response


def _live(patient: Patient, at: datetime | None) -> QuerySet[InstrumentResponse]:
    """Responses known at `at` (recorded by then and not since withdrawn as of then)."""
    if at is None:
        return InstrumentResponse.objects.filter(patient=patient).exclude(
            status=RecordStatus.ENTERED_IN_ERROR
        )
    versions = (
        InstrumentResponse.history.filter(patient_id=patient.pk, history_date__lte=at)
        .latest_of_each()
        .as_instances()
    )
    return versions.filter(administered_at__lte=at).exclude(status=RecordStatus.ENTERED_IN_ERROR)


def latest_scores(
    patient: Patient, at: datetime | None = None, contexts: Iterable[str] | None = None
) -> dict[str, InstrumentResponse]:
    """The most recent live response per instrument code, as known at `at` (default now)."""
    qs = _live(patient, at)
    if contexts is not None:
        qs = qs.filter(context__in=list(contexts))
    latest: dict[str, InstrumentResponse] = {}
    for response in qs.order_by("-administered_at", "-id"):
        latest.setdefault(response.instrument, response)
    return latest


@dataclass(frozen=True)
class SafetyFlag:
    """A safety flag raised by the latest response of an instrument (not superseded)."""

    response: InstrumentResponse
    code: str
    message: str

    @property
    def instrument(self) -> str:
        return self.response.instrument


def open_safety_flags(patient: Patient, at: datetime | None = None) -> list[SafetyFlag]:
    """Safety flags on each instrument's latest response: a later clean form supersedes them."""
    flags = []
    for response in latest_scores(patient, at or timezone.now()).values():
        for flag in response.safety_flags:
            flags.append(SafetyFlag(response, str(flag["code"]), str(flag["message"])))
    return sorted(flags, key=lambda f: f.response.administered_at, reverse=True)


def instrument_rows(responses: Iterable[InstrumentResponse]) -> list[dict[str, Any]]:
    """Responses for display: instrument name and the shown value."""
    rows = []
    for r in responses:
        try:
            name = get_instrument(r.instrument).name
        except ClinicalInputError:
            name = r.instrument
        value = str(r.total) if r.total is not None else r.risk_level
        rows.append({"response": r, "name": name, "value": value})
    return rows
