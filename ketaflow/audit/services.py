"""Writing audit events. Called by every service and selector that touches patient data."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection, models, transaction
from django.utils import timezone

from ketaflow.audit import chain, context
from ketaflow.audit.context import RequestContext
from ketaflow.audit.models import AccessEvent, Action


class Actor(Protocol):
    """Who acted: a signed-in `accounts.User` (the audit log sits below accounts)."""

    @property
    def pk(self) -> Any: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def clinic_id(self) -> int | None: ...


def _patient_id_of(obj: models.Model | None) -> int | None:
    if obj is None:
        return None
    if obj._meta.label == "patients.Patient":
        return int(obj.pk)
    pid = getattr(obj, "patient_id", None)
    return int(pid) if pid is not None else None


def record_event(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    patient_id: int | None = None,
    clinic_id: int | None = None,
    detail: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AccessEvent:
    """Append one event. The request's address and id come from the request context."""
    event = _row(
        Event(actor, action, obj, patient_id, clinic_id, detail, actor_label), context.current()
    )
    with _chained([event]):
        if connection.vendor == "sqlite":
            _insert_one(event)
        else:
            event.save(force_insert=True)
    return event


def _insert_one(event: AccessEvent) -> None:
    """One row, as `save(force_insert=True)` inserts it on SQLite, in one prepared statement:
    every read of a record writes one, and compiling the ORM's insert each time was the
    largest part of a page's fixed cost. Each value is the field's own conversion of it
    (`get_db_prep_save`), exactly what the ORM sends; the chain fields were set by `link`."""
    fields = _sqlite_insert_fields()
    values = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_sqlite_insert_sql(), values)
        event.pk = cursor.lastrowid
    event._state.adding = False
    event._state.db = connection.alias


@functools.cache
def _sqlite_insert_fields() -> list[models.Field[Any, Any]]:
    return [f for f in AccessEvent._meta.concrete_fields if not f.primary_key]


@functools.cache
def _sqlite_insert_sql() -> str:
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in _sqlite_insert_fields()]
    return (
        f"INSERT INTO {quote(AccessEvent._meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )


@contextmanager
def _chained(rows: list[AccessEvent]) -> Iterator[None]:
    """Insert rows into their hash chains (`audit.chain`): on PostgreSQL the database's
    trigger links them; elsewhere `chain.link` does, in the insert's transaction."""
    if connection.vendor == "postgresql":
        yield
        return
    with transaction.atomic():
        chain.link(rows)
        yield


@dataclass(frozen=True)
class Event:
    """One event for `record_events`: `record_event`'s arguments, plus the request context it
    belongs to when a batch holds several (None: the current request's)."""

    actor: Actor | None
    action: str
    obj: models.Model | None = None
    patient_id: int | None = None
    clinic_id: int | None = None
    detail: dict[str, Any] | None = None
    actor_label: str | None = None
    context: RequestContext | None = None


def record_events(events: Iterable[Event]) -> list[AccessEvent]:
    """Append many events in one insert (the HL7 listener writes one per stored message).

    Each row has exactly the fields `record_event` would give it; an event without its own
    context takes the current request's.
    """
    current = context.current()
    rows = [_row(e, e.context or current) for e in events]
    if not rows:
        return []
    with _chained(rows):
        return AccessEvent.objects.bulk_create(rows)


def _row(e: Event, ctx: RequestContext | None) -> AccessEvent:
    """The unsaved row for an event."""
    return AccessEvent(**_values(e, ctx))


_ACTIONS = frozenset(Action.values)


def _values(e: Event, ctx: RequestContext | None) -> dict[str, Any]:
    """An event's fields (by attribute name, all but `id` and `at`): who, what, and where the
    request came from. The one place they are computed, for both ways of inserting them."""
    if e.action not in _ACTIONS:
        raise ValueError(f"unknown audit action {e.action!r}")
    actor, obj = e.actor, e.obj
    patient_id = e.patient_id if e.patient_id is not None else _patient_id_of(obj)
    clinic_id = e.clinic_id
    if clinic_id is None:
        clinic_id = getattr(obj, "clinic_id", None) or (actor.clinic_id if actor else None)
    label = e.actor_label or (
        f"{actor.username} ({actor.role or 'superuser'})" if actor is not None else "system"
    )
    return {
        "actor_id": actor.pk if actor is not None and actor.pk else None,
        "actor_label": label[:200],
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "action": e.action,
        "object_type": obj._meta.label if obj is not None else "",
        "object_id": str(obj.pk) if obj is not None and obj.pk is not None else "",
        "detail": e.detail or {},
        "ip_address": ctx.ip_address if ctx else None,
        "user_agent": ctx.user_agent if ctx else "",
        "request_id": ctx.request_id if ctx else "",
        "path": ctx.path if ctx else "",
        "channel": ctx.channel if ctx else "system",
    }


# -- PostgreSQL: audit rows inside another statement
#
# A writer that inserts many rows in one hand-written PostgreSQL statement (the HL7 listener)
# audits them in the same statement, so the audit rows cost no round trip and no ORM insert of
# their own: `pg_insert` gives a data-modifying CTE that inserts the events from binary
# `unnest` arrays. The rows are those `record_events` writes (`_values`, `at` taken per row as
# `auto_now_add` does, the fields' own database conversions); `test_pg_audit_insert` compares
# the two. Events can be about rows the same statement inserts: their ids, and detail computed
# from ids, come from a relation of the statement, joined on each event's key.

#: The PostgreSQL type each kind of field is sent as (an array of it), then stored from.
_PG_TYPES = {
    "DateTimeField": "timestamptz",
    "ForeignKey": "bigint",
    "CharField": "text",
    "JSONField": "text",  # JSON text, cast to jsonb
    "GenericIPAddressField": "inet",
}


def _pg_columns() -> list[tuple[str, str, str]]:
    """(column, attribute, array element type) of every column of the audit table but `id`
    and the hash chain's (the trigger sets those): all the model has, so a field added to it
    cannot be left out of this insert."""
    return [
        (f.column, f.attname, _PG_TYPES[f.get_internal_type()])
        for f in chain.content_fields(AccessEvent)
    ]


def pg_insert(
    events: Sequence[Event],
    keys: Iterable[int] | None = None,
    *,
    relation: str | None = None,
    prefix: str = "audit_",
) -> tuple[str, dict[str, list[Any]]]:
    """The events as one `INSERT INTO audit_accessevent … SELECT … FROM unnest(…)`, for a
    data-modifying CTE of the caller's psycopg statement (binary parameters, `%(name)b`);
    returns the SQL and its parameters (named `prefix` + column).

    Without `relation` every event is written as `record_events` would write it. With
    `relation`, the name of a relation of the statement with columns `(k bigint, object_id
    text, detail jsonb)`, the events are about rows the statement inserts: event `i` is
    written only if `relation` has a row with `k = keys[i]` (so an event about a row the
    statement did not insert, such as a duplicate, is not written), its object id is that
    row's `object_id` and that row's `detail` is added to its own. Rows go in in the events'
    order (ids ascending, as with `record_events`).
    """
    current = context.current()
    rows = [_values(e, e.context or current) for e in events]
    dumps, now = json.dumps, timezone.now
    ip_field = AccessEvent._meta.get_field("ip_address")
    assert isinstance(ip_field, models.GenericIPAddressField)
    for row in rows:
        row["at"] = now()  # per row, as `auto_now_add` in a bulk insert
        row["detail"] = dumps(row["detail"])  # as JSONField (no encoder) sends it
        row["ip_address"] = ip_field.get_prep_value(row["ip_address"]) or None
    columns = _pg_columns()
    params = {f"{prefix}{col}": [row[attr] for row in rows] for col, attr, _type in columns}
    names = ", ".join(col for col, _attr, _type in columns)
    arrays = [f"%({prefix}{col})b::{type_}[]" for col, _attr, type_ in columns]
    values = {col: f"audit_e.{col}" for col, _attr, _type in columns}
    values["detail"] = "audit_e.detail::jsonb"
    join = ""
    if relation is not None:
        params[f"{prefix}k"] = list(keys if keys is not None else ())
        if len(params[f"{prefix}k"]) != len(rows):
            raise ValueError("one key per event")
        arrays.append(f"%({prefix}k)b::bigint[]")
        values["object_id"] = "audit_x.object_id"
        values["detail"] = "audit_e.detail::jsonb || audit_x.detail"
        join = f"    JOIN {relation} audit_x ON audit_x.k = audit_e.k\n"
    sql = (
        f"INSERT INTO {AccessEvent._meta.db_table} ({names})\n"
        f"    SELECT {', '.join(values.values())}\n"
        f"    FROM unnest({', '.join(arrays)})\n"
        f"        WITH ORDINALITY AS audit_e({names}{', k' if relation else ''}, n)\n"
        f"{join}"
        f"    ORDER BY audit_e.n"
    )
    return sql, params
