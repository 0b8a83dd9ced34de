"""Staff decisions on what the listener stored: the nurse confirms or rejects a device
reading, and staff resolve the holding queue (assign a held message to a session, or dismiss
it). Each is permission-checked, one transaction, audited. Confirming goes through
`treatments.services.record_vitals`: there is no second path into the flowsheet."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.devices import hl7_vitals as hv
from ketaflow.devices import readings as device_readings
from ketaflow.devices.configuration import mappings_of
from ketaflow.devices.matching import ACTIVE_STATUSES
from ketaflow.devices.models import DeviceReading, InboundMessage, MessageStatus, ReadingStatus
from ketaflow.lib.clock import clinic_zone
from ketaflow.treatments import services as treatments
from ketaflow.treatments.models import TreatmentSession, VitalsReading


def _reading_for(actor: User, reading_id: int) -> DeviceReading:
    require(actor, Capability.CHART_SESSION)
    try:
        return (
            DeviceReading.objects.select_for_update()
            .select_related("session")
            .get(pk=reading_id, clinic_id=actor.clinic_pk)
        )
    except DeviceReading.DoesNotExist:
        raise Http404("No such device reading in your clinic.") from None


def _audit(actor: User, obj: Any, what: str, patient_id: int | None, **detail: Any) -> None:
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=obj,
        patient_id=patient_id,
        clinic_id=actor.clinic_id,
        detail={"what": what, **detail},
    )


@transaction.atomic
def confirm_reading(actor: User, reading_id: int, version: int) -> VitalsReading:
    """The nurse accepts the monitor's values: a flowsheet reading via `record_vitals`.

    `version` is the session version the nurse saw (a stale page is a conflict, as for any
    session write). The flowsheet reading keeps the monitor's observation time; it is marked
    as from the device by its link back to this row (`VitalsReading.device_reading`).
    """
    reading = _reading_for(actor, reading_id)
    if reading.status != ReadingStatus.PENDING:
        raise ValidationError({"reading_id": ["This reading has already been decided."]})
    if not reading.chartable:
        raise ValidationError({"reading_id": ["No values the flowsheet can chart: reject it."]})
    vitals, _alerts = treatments.record_vitals(
        actor,
        reading.session,
        version,
        sbp=reading.sbp,
        dbp=reading.dbp,
        hr=reading.hr,
        spo2=reading.spo2,
        rr=reading.rr,
        taken_at=reading.observed_at,
    )
    reading.status = ReadingStatus.CONFIRMED
    reading.decided_by = actor
    reading.decided_at = timezone.now()
    reading.vitals_reading = vitals
    reading.save()
    _audit(
        actor,
        reading,
        "device_reading_confirmed",
        reading.session.patient_id,
        session=reading.session_id,
        vitals_reading=vitals.pk,
        source="device",
    )
    return vitals


@transaction.atomic
def reject_reading(actor: User, reading_id: int, reason: str) -> DeviceReading:
    """The nurse says the monitor's values are wrong (artefact, cuff off…), with a reason."""
    reading = _reading_for(actor, reading_id)
    if reading.status != ReadingStatus.PENDING:
        raise ValidationError({"reading_id": ["This reading has already been decided."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the reading is rejected."]})
    reading.status = ReadingStatus.REJECTED
    reading.decided_by = actor
    reading.decided_at = timezone.now()
    reading.reject_reason = reason.strip()[:300]
    reading.save()
    _audit(
        actor,
        reading,
        "device_reading_rejected",
        reading.session.patient_id,
        session=reading.session_id,
        reason=reading.reject_reason,
    )
    return reading


def _held(actor: User, message_id: int) -> InboundMessage:
    require(actor, Capability.CHART_SESSION)
    try:
        row = InboundMessage.objects.select_for_update().get(
            pk=message_id, clinic_id=actor.clinic_pk
        )
    except InboundMessage.DoesNotExist:
        raise Http404("No such message in your clinic.") from None
    if row.status != MessageStatus.HELD:
        raise ValidationError({"message_id": ["This message is not waiting in the queue."]})
    return row


@transaction.atomic
def assign_message(actor: User, message_id: int, session_id: int) -> list[DeviceReading]:
    """Staff say which active session a held message belongs to; its readings are made then.

    The raw text is parsed again with today's code mappings, at its original receipt time,
    so the readings are exactly what the listener would have made had it matched.
    """
    row = _held(actor, message_id)
    session = (
        TreatmentSession.objects.select_related("protocol_version", "patient")
        .filter(pk=session_id, clinic_id=actor.clinic_pk)
        .first()
    )
    if session is None:
        raise Http404("No such session in your clinic.")
    if session.status not in ACTIVE_STATUSES:
        raise ValidationError({"session_id": ["Choose a session that is still active."]})
    clinic = Clinic.objects.get(pk=row.clinic_id)
    message = hv.parse_message(
        row.raw,
        zone=clinic_zone(clinic),
        received_at=row.received_at,
        mappings=mappings_of(clinic.pk),
    )
    readings = device_readings.save_readings(None, session, row, message)
    row.status = MessageStatus.ASSIGNED
    row.session = session
    row.resolved_by = actor
    row.resolved_at = timezone.now()
    row.save()
    _audit(
        actor,
        row,
        "hl7_message_assigned",
        session.patient_id,
        session=session.pk,
        readings=[r.pk for r in readings],
    )
    return readings


@transaction.atomic
def dismiss_message(actor: User, message_id: int, reason: str) -> InboundMessage:
    """Staff say a held message belongs to no session (a test, a wrong bed…), with a reason."""
    row = _held(actor, message_id)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the message is dismissed."]})
    row.status = MessageStatus.DISMISSED
    row.resolved_by = actor
    row.resolved_at = timezone.now()
    row.resolution_reason = reason.strip()[:300]
    row.save()
    _audit(actor, row, "hl7_message_dismissed", None, reason=row.resolution_reason)
    return row
