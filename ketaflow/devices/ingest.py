"""Storing what the listener receives: each message with its raw text, matched to an active
session or held for staff, its readings with the core's alerts, an audit event, and the
acknowledgement to send.

The listener is a system actor with no user and runs this in a worker thread. There is one
store path, `store_messages`, for a batch of parsed messages (a batch of one is the ordinary
case). `ingest_batch` calls it for the whole batch at once (group commit: on PostgreSQL one
statement, elsewhere one transaction); if that fails it calls it again for each message alone
in its own savepoint, so one bad message is answered AE alone. An AA is handed back only
after the transaction holding the message has committed.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ketaflow.accounts.models import Clinic
from ketaflow.audit import context
from ketaflow.audit.models import Action
from ketaflow.audit.services import Event, pg_insert, record_events
from ketaflow.devices import hl7_codec as hl7c
from ketaflow.devices import hl7_vitals as hv
from ketaflow.devices import readings as device_readings
from ketaflow.devices.matching import Batch, ListenerCache, match
from ketaflow.devices.models import DeviceReading, InboundMessage, MessageStatus
from ketaflow.ops import freshness
from ketaflow.treatments.models import TreatmentSession

log = logging.getLogger("ketaflow.devices")

LISTENER = "hl7-listen"
_ack_ids = itertools.count(1)


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


@dataclass(frozen=True)
class Received:
    """A parsed message waiting to be stored: its place in the batch and how it arrived."""

    index: int
    frame: Frame
    message: hv.ParsedMessage
    text: str  # segments normalised
    codec: str


def acknowledgement(
    header: hl7c.Header | None,
    code: str,
    text: str = "",
    *,
    err: str = "",
    codec: str = "utf-8",
    **kw: Any,
) -> Outcome:
    """The outcome and its ACK bytes (in the message's own encoding)."""
    ack = hl7c.build_ack(
        header,
        code,
        now=timezone.now(),
        ack_id=f"KF{timezone.now():%Y%m%d%H%M%S}{next(_ack_ids)}",
        text=text,
        err=err,
    )
    return Outcome(code, text, ack.encode(codec if codec != "ascii" else "utf-8", "replace"), **kw)


def ingest_batch(
    clinic: Clinic, frames: list[Frame], cache: ListenerCache | None = None
) -> list[Outcome]:
    """Store a batch of received messages; the outcome (ACK) for each, in order.

    Call from a worker thread (never the event loop). First the whole batch in one
    transaction (on PostgreSQL one statement, `_batch_transaction`); if that fails, the
    transaction is rolled back and each message is stored
    again alone, in its own savepoint, so a failing message is answered AE alone. Outcomes
    are handed back only after the commit: if a commit fails, every message it held is
    answered AE and the senders resend. Nothing is acknowledged AA that is not committed.
    """
    outcomes: list[Outcome | None] = [None] * len(frames)
    received: list[Received] = []
    batch = Batch.load(clinic, cache)
    for i, frame in enumerate(frames):
        text, codec = hl7c.decode(frame.raw)
        try:
            message = hv.parse_message(
                text, zone=batch.zone, received_at=frame.received_at, mappings=batch.mappings
            )
        except hl7c.HL7Reject as exc:
            log.warning("rejected message from %s: %s", frame.peer, exc.text)
            outcomes[i] = acknowledgement(exc.header, exc.ack, exc.text, err=exc.err, codec=codec)
            continue
        received.append(Received(i, frame, message, hl7c.normalise_segments(text), codec))
    if not received:
        return [o or _not_processed() for o in outcomes]
    try:
        with _batch_transaction():
            results = store_messages(batch, received)
    except Exception:
        log.warning("store of %d messages failed; one by one", len(received), exc_info=True)
        results = {}
        batch = Batch.load(clinic, cache)
        try:
            with transaction.atomic():
                for item in received:
                    results.update(_store_alone(batch, item))
        except Exception as exc:
            log.exception("batch of %d not committed", len(frames))
            results = {item.index: _not_stored(item, exc) for item in received}
    for i, outcome in results.items():
        outcomes[i] = outcome
    return [o or _not_processed() for o in outcomes]


def _batch_transaction() -> contextlib.AbstractContextManager[Any]:
    """What a whole batch is stored in: a transaction (or a savepoint in the caller's), except
    on PostgreSQL in autocommit mode, where the batch's writes are one statement
    (`insert_pg`), atomic and committed by itself. A transaction would add two round trips to
    each batch: psycopg sends BEGIN on its own before the first query, then COMMIT.
    (`test_the_store_writes_only_through_the_one_statement` keeps the writes in it.)"""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return contextlib.nullcontext()
    return transaction.atomic()


def _store_alone(batch: Batch, item: Received) -> dict[int, Outcome]:
    """One message in its own savepoint: its failure is its AE, the batch goes on."""
    try:
        with transaction.atomic():
            return store_messages(batch, [item])
    except IntegrityError:  # a concurrent listener stored the same control id meanwhile
        return {item.index: _duplicate(item)}
    except Exception as exc:
        log.exception("could not store message %s", item.message.header.control_id)
        return {item.index: _not_stored(item, exc)}


def store_messages(batch: Batch, items: list[Received]) -> dict[int, Outcome]:
    """Store parsed messages in the caller's transaction; the outcome for each, by index.

    Per message: nothing to chart (AA, not stored), a duplicate of one already stored or
    earlier in the batch (AA, not stored again), or stored: matched to a session (with its
    readings and their alerts), held for staff, or kept but not charted (demo data). Each
    stored message gets one audit event, in the request context of its connection, written
    by `audit.services` (`record_events`; on PostgreSQL `pg_insert`, in the insert statement
    itself). Raises on any failure; the caller rolls back.
    """
    batch.prefetch(item.message for item in items)
    results: dict[int, Outcome] = {}
    candidates: list[_Candidate] = []
    seen: set[tuple[str, str, str]] = set()
    for item in items:
        message = item.message
        if not message.relevant:
            results[item.index] = acknowledgement(
                message.header,
                "AA",
                f"Accepted, nothing to chart: {message.ignore_reason}",
                codec=item.codec,
            )
            continue
        h = message.header
        key = (h.sending_app[:200], h.sending_facility[:200], h.control_id[:200])
        if key in seen:
            results[item.index] = _duplicate(item)
            continue
        seen.add(key)
        row, session = _message_row(batch, item, key)
        rows = (
            device_readings.reading_rows(batch, session, row, message)
            if session is not None
            else []
        )
        candidates.append(_Candidate(item, row, session, rows))
    if not candidates:
        return results
    insert = insert_pg if connection.vendor == "postgresql" else insert_orm
    inserted = insert(batch, candidates, [_audit_event(batch, c) for c in candidates])
    for c, new in zip(candidates, inserted, strict=True):
        results[c.item.index] = _stored_outcome(c) if new else _duplicate(c.item)
    return results


def _audit_event(batch: Batch, c: _Candidate) -> Event:
    """A stored message's audit event, but for its reading ids, which the insert adds
    (`"readings"` in its detail): it is built before the insert, which may write it too."""
    return Event(
        actor=None,
        actor_label=LISTENER,
        action=Action.CREATE,
        obj=c.row,
        clinic_id=batch.clinic.pk,
        patient_id=c.session.patient_id if c.session is not None else None,
        detail={
            "what": "hl7_message",
            "status": c.row.status,
            "session": c.session.pk if c.session is not None else None,
        },
        context=_listener_context(c.item.frame),
    )


@dataclass
class _Candidate:
    """A message to insert: its unsaved row, the session it matched, its unsaved readings."""

    item: Received
    row: InboundMessage
    session: TreatmentSession | None
    readings: list[DeviceReading]


def insert_orm(batch: Batch, candidates: list[_Candidate], events: list[Event]) -> list[bool]:
    """Insert the candidates' messages and readings (setting their ids) with the ORM's bulk
    inserts, and through `audit.services.record_events` the audit event of each message
    inserted (`events`, one per candidate, completed with its reading ids); per candidate,
    False if its message was already stored (a duplicate)."""
    existing = set(
        InboundMessage.objects.filter(
            clinic=batch.clinic, control_id__in={c.row.control_id for c in candidates}
        ).values_list("sending_app", "sending_facility", "control_id")
    )
    new = [
        (c.row.sending_app, c.row.sending_facility, c.row.control_id) not in existing
        for c in candidates
    ]
    fresh = [c for c, n in zip(candidates, new, strict=True) if n]
    InboundMessage.objects.bulk_create([c.row for c in fresh])
    DeviceReading.objects.bulk_create([r for c in fresh for r in c.readings])
    record_events(
        replace(e, detail={**(e.detail or {}), "readings": [r.pk for r in c.readings]})
        for c, e, n in zip(candidates, events, new, strict=True)
        if n
    )
    return new


# On PostgreSQL one statement inserts the batch's messages and readings: `ON CONFLICT DO
# NOTHING` for the messages (a control id already stored, or stored meanwhile by a concurrent
# transaction, is simply not returned, so the duplicate check needs no query of its own and
# cannot race), and their readings joined on the batch position `k` of their message.
# Parameters are arrays sent in binary with server-side binding, so neither Django's insert
# compiler nor psycopg's client-side quoting runs per row (docs/benchmarks.md). The readings'
# `status`, `reject_reason` and the message's `resolution_reason` are the models' defaults.
# The audit event of each inserted message goes in the same statement: `audit.services`
# builds its rows and their INSERT (`pg_insert`, the same rows `record_events` writes); this
# statement gives it each inserted message's id and reading ids (`mx`).
_PG_INSERT = """
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
), mx AS (
    SELECT mk.k, mk.id::text AS object_id, jsonb_build_object('readings', COALESCE(
               (SELECT jsonb_agg(r.id ORDER BY r.id) FROM r WHERE r.message_id = mk.id),
               '[]'::jsonb)) AS detail
    FROM mk
), a AS (
    {audit}
)
SELECT mk.k, mk.id, ARRAY(SELECT r.id FROM r WHERE r.message_id = mk.id ORDER BY r.id) FROM mk
"""

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


def insert_pg(batch: Batch, candidates: list[_Candidate], events: list[Event]) -> list[bool]:
    """`insert_orm` on PostgreSQL in one round trip (`_PG_INSERT`): the same rows, audit
    events included, ids set."""
    dumps = json.dumps
    messages: list[tuple[Any, ...]] = []
    readings: list[tuple[Any, ...]] = []
    for k, c in enumerate(candidates, start=1):
        row = c.row
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
                c.session.pk if c.session is not None else None,
                row.reason,
                dumps(row.skipped),
            )
        )
        for reading in c.readings:
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
    now = timezone.now()
    audit_sql, audit_params = pg_insert(events, range(1, len(candidates) + 1), relation="mx")
    params: dict[str, Any] = {
        **_columns(_PG_MESSAGE_COLUMNS, messages),
        **_columns(_PG_READING_COLUMNS, readings),
        **audit_params,
        "clinic": batch.clinic.pk,
        "now": now,
    }
    import psycopg  # only on PostgreSQL

    connection.ensure_connection()
    # A server-side-binding cursor on Django's own connection, so inside its transaction.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_PG_INSERT.replace("{audit}", audit_sql), params)
        stored = {k: (pk, ids) for k, pk, ids in cursor.fetchall()}
    if stored:  # past Django's cursors: say so, or pages would keep their old drawing
        freshness.wrote(connection)
    new = []
    for k, c in enumerate(candidates, start=1):
        if k not in stored:
            new.append(False)
            continue
        c.row.pk, reading_ids = stored[k]
        for reading, pk in zip(c.readings, reading_ids, strict=True):
            reading.pk, reading.message_id, reading.created_at = pk, c.row.pk, now
        new.append(True)
    return new


def _columns(names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
    """Rows → one list per column (the arrays `unnest` zips back into rows)."""
    if not rows:
        return {name: [] for name in names}
    return {name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)}


def _message_row(
    batch: Batch, item: Received, key: tuple[str, str, str]
) -> tuple[InboundMessage, TreatmentSession | None]:
    """The (unsaved) stored message and the session it matched, if any."""
    message, frame = item.message, item.frame
    h = message.header
    app, facility, ctrl = key
    session, reason = (None, "") if message.demo else match(batch, message)
    if message.demo:
        status, reason = MessageStatus.IGNORED, "Demo/training data (OBX-8 DEMO or MSH-11 T)."
    else:
        status = MessageStatus.STORED if session is not None else MessageStatus.HELD
    row = InboundMessage(
        clinic=batch.clinic,
        sending_app=app,
        sending_facility=facility,
        control_id=ctrl,
        message_type=h.message_type[:40],
        received_at=frame.received_at,
        peer=frame.peer[:80],
        encoding=item.codec,
        raw=item.text,
        status=status,
        patient_ref="~".join(message.patient_ids)[:200],
        location=message.location_raw[:200],
        device=message.device[:200],
        session=session,
        reason=reason[:300],
        skipped=[s.__dict__ for s in message.skipped],
    )
    return row, session


def _stored_outcome(c: _Candidate) -> Outcome:
    row = c.row
    text = {
        MessageStatus.STORED: f"Stored: {len(c.readings)} reading(s) for a nurse to confirm.",
        MessageStatus.HELD: f"Held for staff: {row.reason}",
        MessageStatus.IGNORED: f"Stored, not charted: {row.reason}",
    }[MessageStatus(row.status)]
    return acknowledgement(
        c.item.message.header, "AA", text, codec=c.item.codec, stored=True, message_id=row.pk
    )


def _duplicate(item: Received) -> Outcome:
    return acknowledgement(
        item.message.header, "AA", "Duplicate: already stored.", codec=item.codec, duplicate=True
    )


def _not_stored(item: Received, exc: Exception) -> Outcome:
    return acknowledgement(
        item.message.header,
        "AE",
        f"Not stored ({type(exc).__name__}); please resend.",
        err="207",
        codec=item.codec,
    )


def _not_processed() -> Outcome:
    return acknowledgement(None, "AE", "Not processed.", err="207")


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
