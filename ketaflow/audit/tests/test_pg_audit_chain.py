"""On PostgreSQL the database's trigger links every audit row, whatever wrote it: the ORM,
`record_events`, the HL7 listener's statement (`pg_insert`) or raw SQL; `verify_chain`, which
recomputes every hash in Python, agrees with it; concurrent writers cannot fork a chain.
PostgreSQL only."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction

from ketaflow.audit import chain, context
from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import Event, pg_insert, record_event, record_events


@pytest.fixture(autouse=True)
def _postgresql_only(db: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the chain trigger is PostgreSQL's; SQLite links in Python")


def _send(sql: str, params: dict[str, Any], ctes: str = "") -> None:
    """The audit insert as a data-modifying CTE, as the HL7 listener sends it."""
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"WITH {ctes}a AS ({sql}) SELECT 1", params)


def _chain_of(clinic_id: int | None) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(clinic_id=clinic_id).order_by("seq"))


def test_rows_of_every_insert_path_share_one_chain_per_clinic(
    nurse: Any, outsider: Any, patient: Any
) -> None:
    hl7 = context.RequestContext("10.0.0.7", "mllp", "a" * 32, "mllp", "hl7")
    record_event(actor=nurse, action="view", obj=patient, detail={"part": "chart"})
    _send(
        *pg_insert(
            [
                Event(None, "create", clinic_id=nurse.clinic_id, actor_label="hl7-listen",
                      detail={"n": [1, 2.5, None, "é\\n\"q\""], "nested": {"b": 1, "a": []}},
                      context=hl7),
                Event(outsider, "search", detail={"q": "x"}),
                Event(None, "sign_in_failed", actor_label="who", context=hl7),
            ]
        )
    )  # fmt: skip
    record_events([Event(nurse, "update", obj=patient), Event(None, "sign_out")])
    with connection.cursor() as cursor:  # raw SQL too: the trigger links it all the same
        cursor.execute(
            "INSERT INTO audit_accessevent (at, actor_label, clinic_id, action, object_type, "
            "object_id, detail, ip_address, user_agent, request_id, path, channel, seq, "
            "prev_hash, row_hash) VALUES (now(), 'psql', %s, 'view', '', '', '{}', "
            "'::ffff:10.1.2.3', '', '', '', 'system', 77, 'forged', 'forged')",
            [nurse.clinic_id],
        )
    mine = _chain_of(nurse.clinic_id)
    assert [r.seq for r in mine] == [1, 2, 3, 4]
    assert [r.actor_label for r in mine][:3] == [
        "nina.nurse (nurse)",
        "hl7-listen",
        "nina.nurse (nurse)",
    ]
    assert [r.prev_hash for r in mine] == ["", *(r.row_hash for r in mine[:-1])]
    assert mine[-1].row_hash != "forged"
    assert [r.seq for r in _chain_of(None)] == [1, 2]
    report = chain.verify_chain()
    assert report.ok, report.summary()
    assert report.rows == 7 and report.chains == 3


def test_the_listeners_statement_links_only_the_rows_it_inserts(clinic: Any, nurse: Any) -> None:
    """Events whose key the statement's relation lacks are not written and take no place."""
    relation = (
        "x(k, object_id, detail) AS (VALUES "
        "(1::bigint, '11'::text, '{\"readings\": [7, 8]}'::jsonb), (3, '13', '{}')), "
    )
    events = [Event(None, "create", clinic_id=clinic.pk, detail={"i": i}) for i in range(3)]
    record_event(actor=nurse, action="list")
    sql, params = pg_insert(events, [1, 2, 3], relation="x")
    _send(sql, params, relation)
    rows = _chain_of(clinic.pk)
    assert [(r.seq, r.object_id) for r in rows] == [(1, ""), (2, "11"), (3, "13")]
    assert rows[1].detail == {"i": 0, "readings": [7, 8]}
    assert chain.verify_chain().ok


def test_the_trigger_and_python_hash_the_same_text(nurse: Any, patient: Any) -> None:
    """Each field as the trigger hashes it equals the field as `verify_chain` reads it."""
    event = record_event(
        actor=nurse, action="view", obj=patient,
        detail={"z": 1, "aa": "ü\u2028\t", "a": [True, None, 1e-7, 12345678901234567890]},
    )  # fmt: skip
    [row] = [r for r in chain.stored_rows(AccessEvent) if r.id == event.pk]
    assert row.recomputed() == event.row_hash and row.seq == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_a_chain(clinic: Any, nurse: Any) -> None:
    """Four threads, each with its own connection, write 25 events each into one clinic's
    chain, each in its own transaction: the chain has 100 places, linked in order."""
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(25):
                with transaction.atomic():
                    record_events(
                        [Event(None, "view", clinic_id=clinic.pk, detail={"t": n, "i": i})]
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = _chain_of(clinic.pk)
    assert [r.seq for r in rows] == list(range(1, 101))
    report = chain.verify_chain()
    assert report.ok, report.summary()
