"""A parsed message's vital signs as `DeviceReading` rows, each with the core's alerts for
its values in the session's phase at the time it was observed (as the flowsheet computes
them for a typed-in reading). Used by the listener and by assigning a held message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import VitalSigns
from ketaflow.devices import hl7_vitals as hv
from ketaflow.devices.matching import Batch, SessionContext
from ketaflow.devices.models import DeviceReading, InboundMessage
from ketaflow.treatments import derive
from ketaflow.treatments.models import TreatmentSession


def _session_context(session: TreatmentSession) -> SessionContext:
    """What the core needs besides the values: the dose record, baseline and MOAA/S scores."""
    record = derive.record_of(session)
    return record, derive.baseline_signs(session, record), derive.moaas_scores(session)


def _context(batch: Batch, session: TreatmentSession) -> SessionContext:
    key = (session.pk, session.version)
    if key not in batch.session_cache:
        batch.session_cache[key] = _session_context(session)
    return batch.session_cache[key]


def alerts_at_arrival(
    batch_or_none: Batch | None, session: TreatmentSession, at: datetime, values: dict[str, float]
) -> list[dict[str, Any]]:
    """The core's alerts for these values, in the session's phase at `at` (as the flowsheet
    would compute them for a typed-in reading), as plain dicts to keep with the reading."""
    if batch_or_none is not None:
        record, baseline, scores = _context(batch_or_none, session)
    else:
        record, baseline, scores = _session_context(session)
    try:
        signs = VitalSigns(
            sbp=values.get("sbp"),
            dbp=values.get("dbp"),
            hr=values.get("hr"),
            spo2=values.get("spo2"),
            rr=values.get("rr"),
        )
    except ClinicalInputError:
        return []
    phase, found = derive.alerts_of_signs(session, record, baseline, signs, at, scores)
    return [
        {
            "code": a.code,
            "level": a.level.label,
            "message": a.message,
            "actions": [x.label for x in a.actions],
            "phase": phase.value,
        }
        for a in found
    ]


def save_readings(
    batch: Batch | None,
    session: TreatmentSession,
    row: InboundMessage,
    message: hv.ParsedMessage,
) -> list[DeviceReading]:
    """Readings saved one by one (the bulk path uses `_reading_rows` + `bulk_create`)."""
    created = reading_rows(batch, session, row, message)
    for reading in created:
        reading.save()
    return created


def reading_rows(
    batch: Batch | None,
    session: TreatmentSession,
    row: InboundMessage,
    message: hv.ParsedMessage,
) -> list[DeviceReading]:
    """One unsaved `DeviceReading` per observation time, with the core's alerts."""
    created = []
    for vs in hv.vital_sets(message.observations):
        v = vs.values
        reading = DeviceReading(
            clinic_id=row.clinic_id,
            session=session,
            message=row,
            observed_at=vs.observed_at,
            sbp=v.get("sbp"),
            dbp=v.get("dbp"),
            map=v.get("map"),
            hr=v.get("hr"),
            spo2=v.get("spo2"),
            rr=v.get("rr"),
            temp_c=v.get("temp"),
            sources=vs.sources,
            notes=list(vs.notes),
            alerts=alerts_at_arrival(batch, session, vs.observed_at, v),
        )
        created.append(reading)
    return created
