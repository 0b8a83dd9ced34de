"""Which session a monitor message belongs to: the patient's active session at the chair the
monitor is bound to, or none and why (the message is then held for staff). The lookups a
batch of messages shares, and what a long-running listener keeps between batches."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection, models

from ketaflow.accounts.models import Clinic
from ketaflow.clinical import administration as adm
from ketaflow.clinical.monitoring import VitalSigns
from ketaflow.courses.models import Chair
from ketaflow.devices import hl7_vitals as hv
from ketaflow.devices.configuration import mappings_of
from ketaflow.devices.models import MonitorBinding
from ketaflow.lib.clock import clinic_zone
from ketaflow.patients.models import Patient
from ketaflow.treatments.models import SessionStatus, TreatmentSession

#: A session takes device readings from check-in until discharge.
#: Per session: the dose record, the pre-dose baseline and the MOAA/S scores (time, total).
SessionContext = tuple[adm.AdministrationRecord, VitalSigns | None, list[tuple[datetime, int]]]

ACTIVE_STATUSES = (
    SessionStatus.CHECKED_IN,
    SessionStatus.READY,
    SessionStatus.IN_PROGRESS,
    SessionStatus.OBSERVING,
)


class ListenerCache:
    """What a long-running listener keeps between batches, each entry safe to reuse:

    - the clinic's bindings and code mappings, reloaded every `ttl` seconds (a change made on
      the set-up page reaches the listener within that time);
    - per (session id, session version): the session row (with its protocol version and
      patient) and the administration record, pre-dose baseline and MOAA/S scores the alerts
      need. Every write
      to a session bumps its version, so an entry can never be stale; which sessions are active
      is still asked of the database for every batch (`Batch.prefetch`).
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._loaded_at = -1e9
        self.mappings: dict[str, hv.CodeMap] = {}
        self.bindings: dict[str, int] = {}
        self.sessions: dict[tuple[int, int], SessionContext] = {}
        self.session_rows: dict[tuple[int, int], TreatmentSession] = {}

    def refresh(self, clinic: Clinic) -> None:
        if time.monotonic() - self._loaded_at < self.ttl:
            return
        self.bindings = {
            b.location.strip().upper(): b.chair_id
            for b in MonitorBinding.objects.filter(clinic=clinic, active=True)
        }
        self.mappings = mappings_of(clinic.pk)
        if len(self.sessions) > 2000:
            self.sessions.clear()
        if len(self.session_rows) > 2000:
            self.session_rows.clear()
        self._loaded_at = time.monotonic()


@dataclass
class Batch:
    """Lookups shared by the messages of one batch (one transaction)."""

    clinic: Clinic
    zone: ZoneInfo
    mappings: dict[str, hv.CodeMap]
    bindings: dict[str, int]  # location key (upper case) -> chair id
    session_cache: dict[tuple[int, int], SessionContext] = field(default_factory=dict)
    # The active sessions of the batch's patients, by MRN: set by `prefetch` before matching.
    sessions_by_mrn: dict[str, list[TreatmentSession]] | None = None
    session_rows: dict[tuple[int, int], TreatmentSession] = field(default_factory=dict)

    def prefetch(self, messages: Iterable[hv.ParsedMessage]) -> None:
        """Active sessions for every MRN in the batch: one small query, plus one ORM query for
        the sessions written since the listener last loaded them (usually none).

        The ORM query with `select_related` was half of a small batch's CPU time (building and
        compiling it, then three model instances per row); the id/version/MRN query is plain
        SQL, and a session row is reused while its version is unchanged.
        """
        mrns = sorted({m for msg in messages for m in msg.patient_ids})
        self.sessions_by_mrn = {}
        if not mrns:
            return
        active = active_sessions(self.clinic.pk, mrns)
        missing = [pk for pk, version, _mrn in active if (pk, version) not in self.session_rows]
        loaded: dict[int, TreatmentSession] = {}
        if missing:
            for s in TreatmentSession.objects.filter(pk__in=missing).select_related(
                "protocol_version", "patient"
            ):
                loaded[s.pk] = self.session_rows[(s.pk, s.version)] = s
        for pk, version, mrn in active:
            session = self.session_rows.get((pk, version)) or loaded.get(pk)
            # Written between the two queries (version moved on): the newer row decides.
            if session is not None and session.status in ACTIVE_STATUSES:
                self.sessions_by_mrn.setdefault(mrn, []).append(session)

    @classmethod
    def load(cls, clinic: Clinic, cache: ListenerCache | None = None) -> Batch:
        cache = cache or ListenerCache()
        cache.refresh(clinic)
        return cls(
            clinic,
            clinic_zone(clinic),
            cache.mappings,
            cache.bindings,
            cache.sessions,
            session_rows=cache.session_rows,
        )


def active_sessions(clinic_id: int, mrns: list[str]) -> list[tuple[int, int, str]]:
    """(session id, version, MRN) of the clinic's active sessions for these MRNs, in plain SQL
    (any backend), so that the ORM does not build and compile a query per batch."""
    quote = connection.ops.quote_name
    s, p = quote(TreatmentSession._meta.db_table), quote(Patient._meta.db_table)
    sql = (
        f"SELECT s.{_col(TreatmentSession, 'id')}, s.{_col(TreatmentSession, 'version')}, "
        f"p.{_col(Patient, 'mrn')} FROM {s} s "
        f"JOIN {p} p ON p.{_col(Patient, 'id')} = s.{_col(TreatmentSession, 'patient')} "
        f"WHERE s.{_col(TreatmentSession, 'clinic')} = %s "
        f"AND p.{_col(Patient, 'mrn')} IN ({', '.join(['%s'] * len(mrns))}) "
        f"AND s.{_col(TreatmentSession, 'status')} IN "
        f"({', '.join(['%s'] * len(ACTIVE_STATUSES))}) "
        f"ORDER BY s.{_col(TreatmentSession, 'id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [clinic_id, *mrns, *(str(status) for status in ACTIVE_STATUSES)])
        return [(int(pk), int(version), str(mrn)) for pk, version, mrn in cursor.fetchall()]


def _col(model: type[models.Model], name: str) -> str:
    """A model field's column, quoted, for hand-written SQL."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return connection.ops.quote_name(field.column)


def match(batch: Batch, message: hv.ParsedMessage) -> tuple[TreatmentSession | None, str]:
    """The patient's active session at the monitor's chair, or None and why it is held
    (after `batch.prefetch`)."""
    if message.patient_unassigned:
        return None, 'No patient ID (unassigned bed: PID-3 empty or "").'
    by_mrn = batch.sessions_by_mrn or {}
    sessions = [s for m in message.patient_ids for s in by_mrn.get(m, [])]
    if sessions:
        patients = {s.patient_id for s in sessions}
    else:  # held anyway: say whether the patient exists at all
        patients = set(
            Patient.objects.filter(clinic=batch.clinic, mrn__in=message.patient_ids).values_list(
                "pk", flat=True
            )
        )
    if not patients:
        return None, f"No patient with MRN {', '.join(message.patient_ids)} in this clinic."
    if not sessions:
        return None, "The patient has no active treatment session."
    if message.location_keys:
        chair_id = next(
            (batch.bindings[k] for k in message.location_keys if k in batch.bindings), None
        )
        if chair_id is None:
            return None, f"Location {message.location_raw!r} is not bound to a chair."
        at_chair = [s for s in sessions if s.chair_id == chair_id]
        if not at_chair:
            return None, (
                f"The monitor is at chair {chair_id_label(chair_id)} but the patient's active "
                "session is at another chair."
            )
        sessions = at_chair
    if len(sessions) > 1:
        return None, "The patient has more than one active session."
    return sessions[0], ""


def chair_id_label(chair_id: int) -> str:
    chair = Chair.objects.filter(pk=chair_id).only("name").first()
    return chair.name if chair else str(chair_id)
