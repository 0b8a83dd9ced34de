"""Writes for device feeds: storing received messages, and staff decisions on what they hold.

Two kinds of writer:

- the listener (`ingest_batch`), a system actor with no user: it stores each message with
  its raw text, matches it to an active session or holds it, computes the core's alerts for
  each reading, and says which acknowledgement to send. It runs in a worker thread; the AA
  is sent only after the transaction holding the message has committed (group commit: a
  batch commits once, each message in its own savepoint so one bad message fails alone).
- staff (`confirm_reading`, `reject_reading`, `assign_message`, `dismiss_message`, and the
  clinic admin's bindings and mappings), each permission-checked, one transaction, audited.
  Confirming goes through `treatments.services.record_vitals`: there is no second path into
  the flowsheet.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit import context
from ketaflow.audit.models import AccessEvent, Action
from ketaflow.audit.services import record_event
from ketaflow.clinical import administration as adm
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import VitalSigns
from ketaflow.courses.models import Chair
from ketaflow.devices import hl7_vitals as hv
from ketaflow.devices.models import (
    CodeMapping,
    DeviceReading,
    InboundMessage,
    MessageStatus,
    MonitorBinding,
    ReadingStatus,
    VitalChoice,
)
from ketaflow.patients.models import Patient
from ketaflow.treatments import derive
from ketaflow.treatments import services as treatments
from ketaflow.treatments.models import SessionStatus, TreatmentSession, VitalsReading

log = logging.getLogger("ketaflow.devices")

#: A session takes device readings from check-in until discharge.
ACTIVE_STATUSES = (
    SessionStatus.CHECKED_IN,
    SessionStatus.READY,
    SessionStatus.IN_PROGRESS,
    SessionStatus.OBSERVING,
)
LISTENER = "hl7-listen"
_ack_ids = itertools.count(1)


# ---------------------------------------------------------------------------- listener


@dataclass(frozen=True)
class Frame:
    """One MLLP frame's payload as received."""

    raw: bytes
    peer: str
    received_at: datetime


@dataclass(frozen=True)
class Outcome:
    """What to answer: AA (committed, or nothing to store), AE or AR with the reason."""

    code: str
    text: str
    ack: bytes
    stored: bool = False
    duplicate: bool = False
    message_id: int | None = None


def _outcome(
    header: hv.Header | None,
    code: str,
    text: str = "",
    *,
    err: str = "",
    codec: str = "utf-8",
    **kw: Any,
) -> Outcome:
    ack = hv.build_ack(
        header,
        code,
        now=timezone.now(),
        ack_id=f"KF{timezone.now():%Y%m%d%H%M%S}{next(_ack_ids)}",
        text=text,
        err=err,
    )
    return Outcome(code, text, ack.encode(codec if codec != "ascii" else "utf-8", "replace"), **kw)


def mappings_of(clinic_id: int) -> dict[str, hv.CodeMap]:
    """The clinic's active code mappings, keyed as `hl7_vitals.code_keys` looks them up."""
    result = {}
    for m in CodeMapping.objects.filter(clinic_id=clinic_id, active=True):
        result[m.key] = hv.CodeMap(hv.Vital(m.vital), m.priority, f"clinic mapping {m.pk}", m.unit)
    return result


#: Per session: the dose record, the pre-dose baseline and the MOAA/S scores (time, total).
_SessionContext = tuple[adm.AdministrationRecord, VitalSigns | None, list[tuple[datetime, int]]]


class ListenerCache:
    """What a long-running listener keeps between batches, each entry safe to reuse:

    - the clinic's bindings and code mappings, reloaded every `ttl` seconds (a change made on
      the set-up page reaches the listener within that time);
    - per (session id, session version): the session row (with its protocol version and
      patient) and the administration record, pre-dose baseline and MOAA/S scores the alerts
      need. Every write
      to a session bumps its version, so an entry can never be stale; which sessions are active
      is still asked of the database for every batch (`_Batch.prefetch`).
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._loaded_at = -1e9
        self.mappings: dict[str, hv.CodeMap] = {}
        self.bindings: dict[str, int] = {}
        self.sessions: dict[tuple[int, int], _SessionContext] = {}
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
class _Batch:
    """Lookups shared by the messages of one batch (one transaction)."""

    clinic: Clinic
    zone: ZoneInfo
    mappings: dict[str, hv.CodeMap]
    bindings: dict[str, int]  # location key (upper case) -> chair id
    session_cache: dict[tuple[int, int], _SessionContext] = field(default_factory=dict)
    # Prefetched for the whole batch by the fast path (None: look up per message).
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
        active = _active_sessions(self.clinic.pk, mrns)
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
    def load(cls, clinic: Clinic, cache: ListenerCache | None = None) -> _Batch:
        cache = cache or ListenerCache()
        cache.refresh(clinic)
        return cls(
            clinic,
            ZoneInfo(clinic.timezone),
            cache.mappings,
            cache.bindings,
            cache.sessions,
            session_rows=cache.session_rows,
        )


def _active_sessions(clinic_id: int, mrns: list[str]) -> list[tuple[int, int, str]]:
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


def ingest_batch(
    clinic: Clinic, frames: list[Frame], cache: ListenerCache | None = None
) -> list[Outcome]:
    """Store a batch of received messages; the outcome (ACK) for each, in order.

    Call from a worker thread (never the event loop). First the whole batch in one
    transaction with bulk inserts; if that fails, the transaction is rolled back and the batch
    is stored again message by message, each in its own savepoint, so a failing message is
    answered AE alone. Outcomes are handed back only after the commit: if a commit fails,
    every message it held is answered AE and the senders resend. Nothing is acknowledged AA
    that is not committed.
    """
    outcomes: list[Outcome | None] = [None] * len(frames)
    parsed: list[tuple[int, hv.ParsedMessage, str, str]] = []
    batch = _Batch.load(clinic, cache)
    for i, frame in enumerate(frames):
        text, codec = hv.decode(frame.raw)
        try:
            message = hv.parse_message(
                text, zone=batch.zone, received_at=frame.received_at, mappings=batch.mappings
            )
        except hv.HL7Reject as exc:
            log.warning("rejected message from %s: %s", frame.peer, exc.text)
            outcomes[i] = _outcome(exc.header, exc.ack, exc.text, err=exc.err, codec=codec)
            continue
        parsed.append((i, message, hv.normalise_segments(text), codec))
    if not parsed:
        return [o or _outcome(None, "AE", "Not processed.", err="207") for o in outcomes]
    results: dict[int, Outcome] = {}
    try:
        with transaction.atomic():
            _store_many(batch, frames, parsed, results)
    except Exception:
        log.warning("bulk store of %d messages failed; one by one", len(parsed), exc_info=True)
        results = {}
        batch = _Batch.load(clinic, cache)
        try:
            with transaction.atomic():
                for i, message, text, codec in parsed:
                    results[i] = _store_one(batch, frames[i], message, text, codec)
        except Exception as exc:
            log.exception("batch of %d not committed", len(frames))
            results = {
                i: _outcome(
                    message.header,
                    "AE",
                    f"Not stored ({type(exc).__name__}); please resend.",
                    err="207",
                    codec=codec,
                )
                for i, message, _text, codec in parsed
            }
    for i, outcome in results.items():
        outcomes[i] = outcome
    return [o or _outcome(None, "AE", "Not processed.", err="207") for o in outcomes]


def _store_one(
    batch: _Batch, frame: Frame, message: hv.ParsedMessage, text: str, codec: str
) -> Outcome:
    """One message in its own savepoint: its failure is its AE, the batch goes on."""
    token = context.activate(_listener_context(frame))
    try:
        with transaction.atomic():
            return _store(batch, frame, message, text, codec)
    except IntegrityError:
        return _outcome(
            message.header, "AA", "Duplicate: already stored.", codec=codec, duplicate=True
        )
    except Exception as exc:
        log.exception("could not store message %s", message.header.control_id)
        return _outcome(
            message.header,
            "AE",
            f"Not stored ({type(exc).__name__}); please resend.",
            err="207",
            codec=codec,
        )
    finally:
        context.reset(token)


def _store_many(
    batch: _Batch,
    frames: list[Frame],
    parsed: list[tuple[int, hv.ParsedMessage, str, str]],
    results: dict[int, Outcome],
) -> None:
    """The whole batch with a handful of queries (bulk inserts); the caller's transaction.

    Same rows and answers as `_store` message by message. Raises on any failure (a concurrent
    listener stored the same control id, a bad row): the caller rolls back and goes one by one.
    On PostgreSQL the three inserts are one statement (`_store_many_pg`).
    """
    batch.prefetch(m for _i, m, _t, _c in parsed)
    candidates = _candidates(batch, frames, parsed, results)
    if not candidates:
        return
    if connection.vendor == "postgresql":
        _store_many_pg(batch, frames, candidates, results)
        return
    keys = {(r.sending_app, r.sending_facility, r.control_id) for _i, r, _m, _s, _c in candidates}
    existing = set(
        InboundMessage.objects.filter(
            clinic=batch.clinic, control_id__in={k[2] for k in keys}
        ).values_list("sending_app", "sending_facility", "control_id")
    )
    rows = []
    for i, row, message, session, codec in candidates:
        if (row.sending_app, row.sending_facility, row.control_id) in existing:
            results[i] = _duplicate(message.header, codec)
        else:
            rows.append((i, row, message, session, codec))
    if not rows:
        return
    InboundMessage.objects.bulk_create([r for _i, r, _m, _s, _c in rows])
    readings: dict[int, list[DeviceReading]] = {}
    for i, row, message, session, _codec in rows:
        if session is not None:
            readings[i] = _reading_rows(batch, session, row, message)
    DeviceReading.objects.bulk_create([r for rs in readings.values() for r in rs])
    events = []
    for i, row, _message, session, _codec in rows:
        token = context.activate(_listener_context(frames[i]))
        try:
            events.append(_audit_row(batch, row, session, readings.get(i, [])))
        finally:
            context.reset(token)
    AccessEvent.objects.bulk_create(events)
    for i, row, message, _session, codec in rows:
        results[i] = _stored_outcome(row, message.header, codec, len(readings.get(i, [])))


#: (index in the batch, unsaved message row, parsed message, matched session, codec)
_Candidate = tuple[int, InboundMessage, hv.ParsedMessage, "TreatmentSession | None", str]


def _candidates(
    batch: _Batch,
    frames: list[Frame],
    parsed: list[tuple[int, hv.ParsedMessage, str, str]],
    results: dict[int, Outcome],
) -> list[_Candidate]:
    """The batch's messages that may need storing (answers the others: nothing to chart, or
    the same control id twice in this batch), each matched and built as an unsaved row."""
    candidates: list[_Candidate] = []
    seen: set[tuple[str, str, str]] = set()
    for i, message, text, codec in parsed:
        h = message.header
        if not message.relevant:
            results[i] = _outcome(
                h, "AA", f"Accepted, nothing to chart: {message.ignore_reason}", codec=codec
            )
            continue
        key = _key(batch, h)[1:]
        if key in seen:
            results[i] = _duplicate(h, codec)
            continue
        seen.add(key)
        row, session = _message_row(batch, frames[i], message, text, codec)
        candidates.append((i, row, message, session, codec))
    return candidates


def _duplicate(header: hv.Header, codec: str) -> Outcome:
    return _outcome(header, "AA", "Duplicate: already stored.", codec=codec, duplicate=True)


# One statement for the whole batch on PostgreSQL: the messages (`ON CONFLICT DO NOTHING`: a
# control id already stored, or stored meanwhile by a concurrent transaction, is simply not
# returned, so the duplicate check needs no query of its own and cannot race), their readings
# and their audit events (each event lists its readings' ids), joined on the batch position
# `k` of the message. Parameters are arrays sent in binary with server-side binding, so
# neither Django's insert compiler nor psycopg's client-side quoting runs per row. The
# readings' `status`, `reject_reason` and the message's `resolution_reason` are the models'
# defaults ("pending", "", "").
_PG_STORE = """
WITH t AS (
    SELECT * FROM unnest(
        %(app)b::text[], %(facility)b::text[], %(ctrl)b::text[], %(mtype)b::text[],
        %(received)b::timestamptz[], %(peer)b::text[], %(encoding)b::text[], %(raw)b::text[],
        %(status)b::text[], %(pref)b::text[], %(location)b::text[], %(device)b::text[],
        %(session)b::bigint[], %(reason)b::text[], %(skipped)b::text[]
    ) WITH ORDINALITY AS t(app, facility, ctrl, mtype, received, peer, encoding, raw, status,
                           pref, location, device, session, reason, skipped, k)
), m AS (
    INSERT INTO devices_inboundmessage (
        clinic_id, sending_app, sending_facility, control_id, message_type, received_at, peer,
        encoding, raw, status, patient_ref, location, device, session_id, reason, skipped,
        resolution_reason)
    SELECT %(clinic)s, app, facility, ctrl, mtype, received, peer, encoding, raw, status, pref,
           location, device, session, reason, skipped::jsonb, ''
    FROM t ORDER BY k
    ON CONFLICT (clinic_id, sending_app, sending_facility, control_id) DO NOTHING
    RETURNING id, sending_app, sending_facility, control_id
), mk AS (
    SELECT m.id, t.k FROM m JOIN t ON (m.sending_app, m.sending_facility, m.control_id)
                                    = (t.app, t.facility, t.ctrl)
), r AS (
    INSERT INTO devices_devicereading (
        clinic_id, session_id, message_id, observed_at, sbp, dbp, map, hr, spo2, rr, temp_c,
        sources, notes, alerts, status, reject_reason, created_at)
    SELECT %(clinic)s, u.session, mk.id, u.observed, u.sbp, u.dbp, u.map, u.hr, u.spo2, u.rr,
           u.temp, u.sources::jsonb, u.notes::jsonb, u.alerts::jsonb, 'pending', '', %(now)s
    FROM unnest(
        %(r_k)b::bigint[], %(r_session)b::bigint[], %(r_observed)b::timestamptz[],
        %(r_sbp)b::float8[], %(r_dbp)b::float8[], %(r_map)b::float8[], %(r_hr)b::float8[],
        %(r_spo2)b::float8[], %(r_rr)b::float8[], %(r_temp)b::float8[],
        %(r_sources)b::text[], %(r_notes)b::text[], %(r_alerts)b::text[]
    ) WITH ORDINALITY AS u(k, session, observed, sbp, dbp, map, hr, spo2, rr, temp, sources,
                           notes, alerts, n)
    JOIN mk ON mk.k = u.k
    ORDER BY u.n
    RETURNING id, message_id
), a AS (
    INSERT INTO audit_accessevent (
        at, actor_id, actor_label, clinic_id, patient_id, action, object_type, object_id,
        detail, ip_address, user_agent, request_id, path, channel)
    SELECT %(now)s, NULL, %(actor)s, %(clinic)s, e.patient, %(action)s, %(otype)s, mk.id::text,
           e.detail::jsonb || jsonb_build_object('readings', COALESCE(
               (SELECT jsonb_agg(r.id ORDER BY r.id) FROM r WHERE r.message_id = mk.id),
               '[]'::jsonb)),
           e.ip::inet, e.agent, e.request, e.path, e.channel
    FROM unnest(
        %(e_k)b::bigint[], %(e_patient)b::bigint[], %(e_detail)b::text[], %(e_ip)b::text[],
        %(e_agent)b::text[], %(e_request)b::text[], %(e_path)b::text[], %(e_channel)b::text[]
    ) AS e(k, patient, detail, ip, agent, request, path, channel)
    JOIN mk ON mk.k = e.k
    ORDER BY e.k
    RETURNING 1
)
SELECT k, id FROM mk
"""


def _store_many_pg(
    batch: _Batch,
    frames: list[Frame],
    candidates: list[_Candidate],
    results: dict[int, Outcome],
) -> None:
    """`_store_many`'s inserts on PostgreSQL: one round trip for the whole batch (`_PG_STORE`).

    The rows are built by the same functions as the ORM path (`_message_row`, `_reading_rows`,
    `_audit_row`'s fields), so both paths store exactly the same values.
    """
    dumps = json.dumps
    messages: list[tuple[Any, ...]] = []
    readings: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    counts: dict[int, int] = {}
    for k, (i, row, message, session, _codec) in enumerate(candidates, start=1):
        session_id = session.pk if session is not None else None
        messages.append(
            (
                row.sending_app,
                row.sending_facility,
                row.control_id,
                row.message_type,
                row.received_at,
                row.peer,
                row.encoding,
                row.raw,
                str(row.status),
                row.patient_ref,
                row.location,
                row.device,
                session_id,
                row.reason,
                dumps(row.skipped),
            )
        )
        rows = _reading_rows(batch, session, row, message) if session is not None else []
        counts[i] = len(rows)
        for reading in rows:
            readings.append(
                (
                    k,
                    reading.session_id,
                    reading.observed_at,
                    *(
                        None if v is None else float(v)
                        for v in (
                            reading.sbp,
                            reading.dbp,
                            reading.map,
                            reading.hr,
                            reading.spo2,
                            reading.rr,
                            reading.temp_c,
                        )
                    ),
                    dumps(reading.sources),
                    dumps(reading.notes),
                    dumps(reading.alerts),
                )
            )
        ctx = _listener_context(frames[i])
        detail = {"what": "hl7_message", "status": str(row.status), "session": session_id}
        events.append(
            (
                k,
                session.patient_id if session is not None else None,
                dumps(detail),
                ctx.ip_address,
                ctx.user_agent,
                ctx.request_id,
                ctx.path,
                ctx.channel,
            )
        )
    params: dict[str, Any] = {
        **_columns(_PG_MESSAGE_COLUMNS, messages),
        **_columns(_PG_READING_COLUMNS, readings),
        **_columns(_PG_EVENT_COLUMNS, events),
        "clinic": batch.clinic.pk,
        "now": timezone.now(),
        "actor": LISTENER,
        "action": str(Action.CREATE),
        "otype": InboundMessage._meta.label,
    }
    import psycopg  # only on PostgreSQL

    connection.ensure_connection()
    # A server-side-binding cursor on Django's own connection, so inside its transaction.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_PG_STORE, params)
        stored = dict(cursor.fetchall())
    for k, (i, row, message, _session, codec) in enumerate(candidates, start=1):
        if k not in stored:
            results[i] = _duplicate(message.header, codec)
            continue
        row.pk = stored[k]
        results[i] = _stored_outcome(row, message.header, codec, counts[i])


_PG_MESSAGE_COLUMNS = (
    "app",
    "facility",
    "ctrl",
    "mtype",
    "received",
    "peer",
    "encoding",
    "raw",
    "status",
    "pref",
    "location",
    "device",
    "session",
    "reason",
    "skipped",
)
_PG_READING_COLUMNS = tuple(
    f"r_{c}"
    for c in "k session observed sbp dbp map hr spo2 rr temp sources notes alerts".split()  # noqa: SIM905
)
_PG_EVENT_COLUMNS = tuple(
    f"e_{c}" for c in ("k", "patient", "detail", "ip", "agent", "request", "path", "channel")
)


def _columns(names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
    """Rows → one list per column (the arrays `unnest` zips back into rows)."""
    if not rows:
        return {name: [] for name in names}
    return {name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)}


def _key(batch: _Batch, h: hv.Header) -> tuple[Clinic, str, str, str]:
    return (batch.clinic, h.sending_app[:200], h.sending_facility[:200], h.control_id[:200])


def _message_row(
    batch: _Batch, frame: Frame, message: hv.ParsedMessage, text: str, codec: str
) -> tuple[InboundMessage, TreatmentSession | None]:
    """The (unsaved) stored message and the session it matched, if any."""
    h = message.header
    session, reason = (None, "") if message.demo else _match(batch, message)
    if message.demo:
        status, reason = MessageStatus.IGNORED, "Demo/training data (OBX-8 DEMO or MSH-11 T)."
    else:
        status = MessageStatus.STORED if session is not None else MessageStatus.HELD
    _clinic, app, facility, ctrl = _key(batch, h)
    row = InboundMessage(
        clinic=batch.clinic,
        sending_app=app,
        sending_facility=facility,
        control_id=ctrl,
        message_type=h.message_type[:40],
        received_at=frame.received_at,
        peer=frame.peer[:80],
        encoding=codec,
        raw=text,
        status=status,
        patient_ref="~".join(message.patient_ids)[:200],
        location=message.location_raw[:200],
        device=message.device[:200],
        session=session,
        reason=reason[:300],
        skipped=[s.__dict__ for s in message.skipped],
    )
    return row, session


def _audit_row(
    batch: _Batch,
    row: InboundMessage,
    session: TreatmentSession | None,
    readings: list[DeviceReading],
) -> AccessEvent:
    """The audit event `record_event` would write for a stored message (built for bulk insert)."""
    ctx = context.current()
    return AccessEvent(
        actor=None,
        actor_label=LISTENER,
        clinic_id=batch.clinic.pk,
        patient_id=session.patient_id if session is not None else None,
        action=Action.CREATE,
        object_type=InboundMessage._meta.label,
        object_id=str(row.pk),
        detail={
            "what": "hl7_message",
            "status": row.status,
            "session": session.pk if session is not None else None,
            "readings": [r.pk for r in readings],
        },
        ip_address=ctx.ip_address if ctx else None,
        user_agent=ctx.user_agent if ctx else "",
        request_id=ctx.request_id if ctx else "",
        path=ctx.path if ctx else "",
        channel=ctx.channel if ctx else "system",
    )


def _stored_outcome(row: InboundMessage, header: hv.Header, codec: str, n_readings: int) -> Outcome:
    text = {
        MessageStatus.STORED: f"Stored: {n_readings} reading(s) for a nurse to confirm.",
        MessageStatus.HELD: f"Held for staff: {row.reason}",
        MessageStatus.IGNORED: f"Stored, not charted: {row.reason}",
    }[MessageStatus(row.status)]
    return _outcome(header, "AA", text, codec=codec, stored=True, message_id=row.pk)


def _listener_context(frame: Frame) -> context.RequestContext:
    """Audit events written for a received message say it came over HL7, from which address."""
    host = frame.peer.rsplit(":", 1)[0].strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        host = ""
    return context.RequestContext(
        ip_address=host or None,
        user_agent="mllp",
        request_id=context.new_request_id(),
        path="mllp",
        channel="hl7",
    )


def _store(
    batch: _Batch, frame: Frame, message: hv.ParsedMessage, text: str, codec: str
) -> Outcome:
    """One message: duplicate check, match, stored row, readings with alerts, audit."""
    h = message.header
    if not message.relevant:
        return _outcome(
            h, "AA", f"Accepted, nothing to chart: {message.ignore_reason}", codec=codec
        )
    _clinic, app, facility, ctrl = _key(batch, h)
    if InboundMessage.objects.filter(
        clinic=batch.clinic, sending_app=app, sending_facility=facility, control_id=ctrl
    ).exists():
        return _outcome(h, "AA", "Duplicate: already stored.", codec=codec, duplicate=True)
    row, session = _message_row(batch, frame, message, text, codec)
    row.save()
    readings = _readings(batch, session, row, message) if session is not None else []
    event = _audit_row(batch, row, session, readings)
    event.save()
    return _stored_outcome(row, h, codec, len(readings))


def _match(batch: _Batch, message: hv.ParsedMessage) -> tuple[TreatmentSession | None, str]:
    """The patient's active session at the monitor's chair, or None and why it is held."""
    if message.patient_unassigned:
        return None, 'No patient ID (unassigned bed: PID-3 empty or "").'
    sessions: list[TreatmentSession] = []
    if batch.sessions_by_mrn is not None:
        sessions = [s for m in message.patient_ids for s in batch.sessions_by_mrn.get(m, [])]
    if sessions:
        patients = {s.patient_id for s in sessions}
    else:  # not prefetched, or held anyway: say whether the patient exists at all
        patients = set(
            Patient.objects.filter(clinic=batch.clinic, mrn__in=message.patient_ids).values_list(
                "pk", flat=True
            )
        )
        if batch.sessions_by_mrn is None:
            sessions = list(
                TreatmentSession.objects.filter(
                    clinic=batch.clinic, patient_id__in=patients, status__in=ACTIVE_STATUSES
                ).select_related("protocol_version")
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


def _session_context(session: TreatmentSession) -> _SessionContext:
    """What the core needs besides the values: the dose record, baseline and MOAA/S scores."""
    record = derive.record_of(session)
    return record, derive.baseline_signs(session, record), derive.moaas_scores(session)


def _context(batch: _Batch, session: TreatmentSession) -> _SessionContext:
    key = (session.pk, session.version)
    if key not in batch.session_cache:
        batch.session_cache[key] = _session_context(session)
    return batch.session_cache[key]


def alerts_at_arrival(
    batch_or_none: _Batch | None, session: TreatmentSession, at: datetime, values: dict[str, float]
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


def _readings(
    batch: _Batch | None,
    session: TreatmentSession,
    row: InboundMessage,
    message: hv.ParsedMessage,
) -> list[DeviceReading]:
    """Readings saved one by one (the bulk path uses `_reading_rows` + `bulk_create`)."""
    created = _reading_rows(batch, session, row, message)
    for reading in created:
        reading.save()
    return created


def _reading_rows(
    batch: _Batch | None,
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


# ---------------------------------------------------------------------------- staff


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
        zone=ZoneInfo(clinic.timezone),
        received_at=row.received_at,
        mappings=mappings_of(clinic.pk),
    )
    readings = _readings(None, session, row, message)
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


# ---------------------------------------------------------------------------- set-up


@transaction.atomic
def bind_chair(actor: User, chair_id: int, location: str) -> MonitorBinding:
    """Tell the listener which chair a monitor location string means (clinic admins)."""
    require(actor, Capability.MANAGE_DEVICES)
    chair = Chair.objects.filter(pk=chair_id, clinic_id=actor.clinic_pk).first()
    if chair is None:
        raise Http404("No such chair in your clinic.")
    location = location.strip()
    if not location or "\r" in location or "\n" in location:
        raise ValidationError({"location": ["Enter the location as the monitor sends it."]})
    if MonitorBinding.objects.filter(
        clinic_id=actor.clinic_pk, location__iexact=location, active=True
    ).exists():
        raise ValidationError({"location": ["This location is already bound to a chair."]})
    binding = MonitorBinding.objects.create(
        clinic_id=actor.clinic_pk, chair=chair, location=location[:120], created_by=actor
    )
    _audit(actor, binding, "monitor_binding", None, chair=chair.pk, location=binding.location)
    return binding


@transaction.atomic
def end_binding(actor: User, binding_id: int) -> MonitorBinding:
    require(actor, Capability.MANAGE_DEVICES)
    binding = MonitorBinding.objects.filter(
        pk=binding_id, clinic_id=actor.clinic_pk, active=True
    ).first()
    if binding is None:
        raise Http404("No such active binding in your clinic.")
    binding.active = False
    binding.ended_by = actor
    binding.ended_at = timezone.now()
    binding.save()
    _audit(actor, binding, "monitor_binding_ended", None)
    return binding


UNITS = ("", "mmHg", "kPa", "/min", "%", "Cel", "degF")


@transaction.atomic
def add_mapping(
    actor: User,
    *,
    coding_system: str,
    code: str,
    vital: str,
    sub_id: str = "",
    unit: str = "",
    priority: int = 1,
) -> CodeMapping:
    """A clinic's own code → vital (clinic admins). It wins over the built-in table."""
    require(actor, Capability.MANAGE_DEVICES)
    errors: dict[str, list[str]] = {}
    if not code.strip():
        errors["code"] = ["Enter the code as the monitor sends it (OBX-3.1)."]
    if vital not in VitalChoice.values:
        errors["vital"] = [f"Choose one of: {', '.join(VitalChoice.values)}."]
    if unit not in UNITS:
        errors["unit"] = [f"Choose one of: {', '.join(u or '(none)' for u in UNITS)}."]
    if not 0 <= priority <= 9:
        errors["priority"] = ["Between 0 (preferred) and 9."]
    if errors:
        raise ValidationError(errors)
    mapping = CodeMapping(
        clinic_id=actor.clinic_pk,
        coding_system=coding_system.strip()[:40],
        code=code.strip()[:80],
        sub_id=sub_id.strip()[:40],
        vital=vital,
        unit=unit,
        priority=priority,
        created_by=actor,
    )
    if (
        CodeMapping.objects.filter(clinic_id=actor.clinic_pk, active=True)
        .filter(
            coding_system__iexact=mapping.coding_system,
            code__iexact=mapping.code,
            sub_id__iexact=mapping.sub_id,
        )
        .exists()
    ):
        raise ValidationError({"code": ["This code already has an active mapping."]})
    mapping.save()
    _audit(actor, mapping, "code_mapping", None, key=mapping.key, vital=vital)
    return mapping


@transaction.atomic
def deactivate_mapping(actor: User, mapping_id: int) -> CodeMapping:
    require(actor, Capability.MANAGE_DEVICES)
    mapping = CodeMapping.objects.filter(
        pk=mapping_id, clinic_id=actor.clinic_pk, active=True
    ).first()
    if mapping is None:
        raise Http404("No such active mapping in your clinic.")
    mapping.active = False
    mapping.save()
    _audit(actor, mapping, "code_mapping_ended", None, key=mapping.key)
    return mapping


def frames_from(texts: Iterable[str], peer: str = "test") -> list[Frame]:
    """Frames for tests and the benchmark seed (UTF-8, received now)."""
    now = timezone.now()
    return [Frame(t.encode(), peer, now) for t in texts]
