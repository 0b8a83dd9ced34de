"""`pg_insert` (audit rows inside another PostgreSQL statement, as the HL7 listener sends them)
writes exactly the rows `record_events` writes, and they stay append-only. PostgreSQL only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from ketaflow.accounts.models import Clinic
from ketaflow.audit import chain, context
from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import Event, pg_insert, record_events
from ketaflow.conftest import DEFAULT_NOW


@pytest.fixture(autouse=True)
def _postgresql_only(db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_insert is the PostgreSQL statement's audit insert; SQLite uses the ORM")


# Every column but the id and the hash chain's (`test_pg_audit_chain` checks those: the same
# event written twice takes two places in its chain).
ALL_FIELDS = [f.attname for f in chain.content_fields(AccessEvent)]


def _rows(pks: list[int]) -> list[dict[str, Any]]:
    rows = {r["id"]: r for r in AccessEvent.objects.filter(pk__in=pks).values("id", *ALL_FIELDS)}
    return [{k: v for k, v in rows[pk].items() if k != "id"} for pk in pks]


def _new_ids(before: int) -> list[int]:
    return list(
        AccessEvent.objects.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True)
    )


def _last_id() -> int:
    return AccessEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _send(sql: str, params: dict[str, Any], ctes: str = "") -> None:
    """The audit insert as a data-modifying CTE of a statement, sent as the listener sends its
    own (psycopg binary parameters, server-side binding, on Django's connection)."""
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"WITH {ctes}a AS ({sql}) SELECT 1", params)


def _hl7(request_id: str, ip: str | None) -> context.RequestContext:
    return context.RequestContext(ip, "mllp", request_id, "mllp", "hl7")


def test_the_statement_writes_exactly_what_record_events_writes(
    nurse: Any, patient: Any, clock: Callable[[datetime], None]
) -> None:
    events = [
        Event(nurse, "view", obj=patient, detail={"part": "chart", "n": [1, None, "é"]}),
        Event(None, "create", clinic_id=nurse.clinic_id, actor_label="hl7-listen",
              context=_hl7("a" * 32, "10.0.0.7")),
        Event(nurse, "update", obj=nurse, patient_id=patient.pk,
              context=_hl7("b" * 32, "0:0:0:0:0:0:0:1")),  # IPv6, cleaned as the field does
        Event(None, "sign_in_failed", actor_label="x" * 250, context=_hl7("c" * 32, "")),
        Event(nurse, "list"),  # the current request's context
    ]  # fmt: skip
    token = context.activate(_hl7("d" * 32, "192.168.1.9"))
    try:
        before = _last_id()
        clock(DEFAULT_NOW)
        orm = [e.pk for e in record_events(events)]
        middle = _last_id()
        clock(DEFAULT_NOW)  # the same instants again, one per row
        _send(*pg_insert(events))
        pg = _new_ids(middle)
    finally:
        context.reset(token)
    assert orm == _new_ids(before)[: len(events)] and len(pg) == len(events)
    assert pg == sorted(pg) and pg[0] > orm[-1]
    assert _rows(pg) == _rows(orm)
    got = _rows(pg)
    assert got[2]["ip_address"] == "::1" and got[3]["ip_address"] is None
    assert got[4]["request_id"] == "d" * 32 and len(got[3]["actor_label"]) == 200
    assert [r["at"] for r in got] == sorted(r["at"] for r in got)


def test_events_about_rows_the_statement_inserts_take_their_ids_from_it(
    clinic: Any, nurse: Any, clock: Any
) -> None:
    """The object id and the detail computed from ids come from a relation of the statement,
    by key; an event whose key it lacks (a row not inserted, e.g. a duplicate) is not written.
    (The clock stands still here: the statement reads it for the event it does not write.)"""
    clock(DEFAULT_NOW, still=True)
    other = Clinic.objects.create(name="Other", slug="other-pg", timezone="Europe/London")
    unsaved = Clinic(name="New", slug="new", timezone="Europe/London")
    events = [
        Event(None, "create", obj=unsaved, clinic_id=clinic.pk, detail={"what": "thing"},
              context=_hl7("e" * 32, "10.0.0.8")),
        Event(None, "create", obj=unsaved, clinic_id=clinic.pk, detail={"what": "dupe"}),
        Event(nurse, "create", obj=unsaved, detail={}),
    ]  # fmt: skip
    completed = [
        replace(events[0], obj=clinic, detail={"what": "thing", "readings": [7, 8]}),
        replace(events[2], obj=other, detail={"readings": []}),
    ]
    relation = (
        "x(k, object_id, detail) AS (VALUES "
        f"(1::bigint, '{clinic.pk}'::text, '{{\"readings\": [7, 8]}}'::jsonb), "
        f"(3, '{other.pk}', '{{\"readings\": []}}')), "
    )
    before = _last_id()
    orm = [e.pk for e in record_events(completed)]
    middle = _last_id()
    sql, params = pg_insert(events, [1, 2, 3], relation="x")
    _send(sql, params, relation)
    pg = _new_ids(middle)
    assert len(orm) == len(_new_ids(before)) - len(pg) == 2
    assert _rows(pg) == _rows(orm)
    with pytest.raises(ValueError, match="one key per event"):
        pg_insert(events, [1, 2], relation="x")


def test_an_unknown_action_makes_no_statement(clinic: Any) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        pg_insert([Event(None, "create"), Event(None, "poke")])


@pytest.mark.parametrize(
    "sql", ["UPDATE audit_accessevent SET action = 'list'", "DELETE FROM audit_accessevent"]
)
def test_rows_written_by_the_statement_stay_append_only(nurse: Any, sql: str) -> None:
    before = _last_id()
    _send(*pg_insert([Event(nurse, "view", detail={"part": "chart"})]))
    [pk] = _new_ids(before)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AccessEvent.objects.filter(pk=pk, action="view").exists()
