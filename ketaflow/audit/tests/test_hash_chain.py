"""The audit rows' hash chains (`audit.chain`): every insert path links its rows, and
`verify_chain` finds an edited row, a deleted row (a gap), a rewritten or reordered row,
naming the chain and the row. Tampering here goes around the append-only triggers, as someone
with the database owner's rights could."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from ketaflow.audit import chain
from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import Event, record_event, record_events


def _tamper(*statements: str, params: list[Any] | None = None) -> None:
    """Run SQL on the audit table with its append-only triggers out of the way (rolled back
    with the test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks
            cursor.execute(
                "ALTER TABLE audit_accessevent DISABLE TRIGGER audit_accessevent_append_only"
            )
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_accessevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_accessevent_no_delete")
        for sql in statements:
            cursor.execute(sql, params)


@pytest.fixture
def written(nurse: Any, outsider: Any, patient: Any) -> list[AccessEvent]:
    """Events in two clinics and without a clinic, by both insert paths."""
    one = record_event(actor=nurse, action="view", obj=patient, detail={"part": "chart"})
    many = record_events(
        [
            Event(nurse, "list", detail={"n": [1, None, "é"], "b": {"z": 1.5, "a": True}}),
            Event(outsider, "search", detail={"q": "jane"}),
            Event(None, "sign_in_failed", actor_label="someone"),
            Event(nurse, "update", obj=patient),
            Event(None, "sign_in_failed", actor_label="someone else"),
        ]
    )
    two = record_event(actor=nurse, action="export", obj=patient)
    return [one, *many, two]


def _reloaded(events: list[AccessEvent]) -> list[AccessEvent]:
    return [AccessEvent.objects.get(pk=e.pk) for e in events]


def test_every_row_is_linked_to_the_one_before_in_its_clinics_chain(
    written: list[AccessEvent], nurse: Any, outsider: Any
) -> None:
    rows = _reloaded(written)
    mine = [r for r in rows if r.clinic_id == nurse.clinic_id]
    assert [r.seq for r in mine] == [1, 2, 3, 4]
    assert mine[0].prev_hash == "" and all(len(r.row_hash) == 64 for r in rows)
    assert [r.prev_hash for r in mine[1:]] == [r.row_hash for r in mine[:-1]]
    theirs = [r for r in rows if r.clinic_id == outsider.clinic_id]
    nobody = [r for r in rows if r.clinic_id is None]
    assert [r.seq for r in theirs] == [1] and [r.seq for r in nobody] == [1, 2]
    assert nobody[1].prev_hash == nobody[0].row_hash
    # What the insert returned is what was stored (read back on PostgreSQL, set on SQLite).
    assert [(e.seq, e.row_hash) for e in written] == [(r.seq, r.row_hash) for r in rows]


def test_a_clean_chain_verifies(written: list[AccessEvent], nurse: Any, outsider: Any) -> None:
    report = chain.verify_chain()
    assert report.ok, report.summary()
    assert report.rows == 7
    heads = {h.chain: h.seq for h in report.heads}
    assert heads == {nurse.clinic_id: 4, outsider.clinic_id: 1, 0: 2}
    assert report.summary() == "Audit chain intact: 7 rows in 3 chains."


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "'list'"),
        ("detail", '\'{"part": "notes"}\''),
        ("object_id", "'999'"),
        ("at", "'2020-01-01 00:00:00+00'"),
        ("ip_address", "'10.9.9.9'"),
    ],
)
def test_an_edited_field_breaks_the_chain_at_that_row(
    written: list[AccessEvent], nurse: Any, column: str, value: str
) -> None:
    victim = written[0]
    _tamper(f"UPDATE audit_accessevent SET {column} = {value} WHERE id = {victim.pk}")
    report = chain.verify_chain()
    assert not report.ok
    [found] = report.breaks
    assert (found.chain, found.event_id, found.kind) == (nurse.clinic_id, victim.pk, "edited")
    assert f"clinic {nurse.clinic_id}, audit event {victim.pk} (#1)" in found.message


def test_a_deleted_row_leaves_a_gap(written: list[AccessEvent], nurse: Any) -> None:
    mine = [e for e in written if e.clinic_id == nurse.clinic_id]
    _tamper(f"DELETE FROM audit_accessevent WHERE id = {mine[1].pk}")
    [found] = chain.verify_chain().breaks
    assert (found.event_id, found.kind) == (mine[2].pk, "gap")
    assert "row #2 before it is missing" in found.message


def test_deleting_the_first_rows_leaves_a_gap_at_the_start(written: list[AccessEvent]) -> None:
    nobody = [e for e in written if e.clinic_id is None]
    _tamper(f"DELETE FROM audit_accessevent WHERE id = {nobody[0].pk}")
    [found] = chain.verify_chain().breaks
    assert (found.chain, found.event_id, found.kind) == (0, nobody[1].pk, "gap")
    assert "the no-clinic chain" in found.message


def test_a_rewritten_row_with_a_fresh_hash_breaks_the_next_link(
    written: list[AccessEvent], nurse: Any
) -> None:
    """An attacker who edits a row and recomputes its hash is caught by the row after it."""
    mine = _reloaded([e for e in written if e.clinic_id == nurse.clinic_id])
    victim = mine[1]
    _tamper(f"UPDATE audit_accessevent SET action = 'view' WHERE id = {victim.pk}")
    [row] = [r for r in chain.stored_rows(AccessEvent) if r.id == victim.pk]
    _tamper(
        "UPDATE audit_accessevent SET row_hash = %s WHERE id = %s",
        params=[row.recomputed(), row.id],
    )
    [found] = chain.verify_chain().breaks
    assert (found.event_id, found.kind) == (mine[2].pk, "link")
    assert f"does not link to audit event {victim.pk}" in found.message


def test_swapped_places_are_found(written: list[AccessEvent], nurse: Any) -> None:
    mine = [e for e in written if e.clinic_id == nurse.clinic_id]
    a, b = mine[1].pk, mine[2].pk
    _tamper(
        f"UPDATE audit_accessevent SET seq = 1000 WHERE id = {a}",
        f"UPDATE audit_accessevent SET seq = 2 WHERE id = {b}",
        f"UPDATE audit_accessevent SET seq = 3 WHERE id = {a}",
    )
    [found] = chain.verify_chain().breaks
    assert (found.event_id, found.kind) == (b, "edited")


def test_a_row_moved_to_another_clinic_breaks_both_chains(
    written: list[AccessEvent], nurse: Any, outsider: Any
) -> None:
    mine = [e for e in written if e.clinic_id == nurse.clinic_id]
    _tamper(
        f"UPDATE audit_accessevent SET clinic_id = {outsider.clinic_id}, seq = 2 "
        f"WHERE id = {mine[1].pk}"
    )
    breaks = {b.chain: b for b in chain.verify_chain().breaks}
    assert breaks[nurse.clinic_id].kind == "gap"
    assert (breaks[outsider.clinic_id].event_id, breaks[outsider.clinic_id].kind) == (
        mine[1].pk,
        "edited",
    )


def test_only_the_chains_asked_for_are_walked(
    written: list[AccessEvent], nurse: Any, outsider: Any
) -> None:
    _tamper(f"UPDATE audit_accessevent SET action = 'list' WHERE id = {written[0].pk}")
    assert chain.verify_chain(chains=[outsider.clinic_id, 0]).ok
    assert not chain.verify_chain(chains=[nurse.clinic_id]).ok


def test_a_place_cannot_be_taken_twice(written: list[AccessEvent], nurse: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _tamper(f"UPDATE audit_accessevent SET seq = 1 WHERE id = {written[1].pk}")


def test_rows_written_before_the_chain_are_linked_by_rechain(
    written: list[AccessEvent],
) -> None:
    """The migration that adds the chain links the rows already there (`rechain`)."""
    _tamper("UPDATE audit_accessevent SET seq = NULL, prev_hash = '', row_hash = ''")
    report = chain.verify_chain()
    assert {b.kind for b in report.breaks} == {"unchained"} and len(report.breaks) == 3
    assert chain.rechain(AccessEvent) == 7
    assert chain.verify_chain().ok
    rows = _reloaded(written)
    assert [(r.seq, r.row_hash) for r in rows] == [(e.seq, e.row_hash) for e in written]


def test_new_rows_follow_a_rechained_chain(written: list[AccessEvent], nurse: Any) -> None:
    _tamper("UPDATE audit_accessevent SET seq = NULL, prev_hash = '', row_hash = ''")
    chain.rechain(AccessEvent)
    event = record_event(actor=nurse, action="view")
    assert AccessEvent.objects.get(pk=event.pk).seq == 5
    assert chain.verify_chain().ok


def test_the_command_says_intact_and_exits_zero(
    written: list[AccessEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("audit", "verify")
    assert "Audit chain intact: 7 rows in 3 chains." in capsys.readouterr().out


def test_the_command_names_the_broken_row_and_exits_non_zero(
    written: list[AccessEvent], nurse: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper(f"UPDATE audit_accessevent SET action = 'list' WHERE id = {written[0].pk}")
    with pytest.raises(CommandError) as exit_:
        call_command("audit", "verify")
    assert exit_.value.returncode == 1
    out = capsys.readouterr()
    assert f"audit event {written[0].pk} (#1): changed since it was written" in out.err
    assert "BROKEN in 1 of 3 chains" in out.err


def test_the_command_walks_one_clinic(
    written: list[AccessEvent], nurse: Any, outsider: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper(f"UPDATE audit_accessevent SET action = 'list' WHERE id = {written[0].pk}")
    call_command("audit", "verify", "--clinic", str(outsider.clinic_id))
    assert "Audit chain intact: 1 row in 1 chain." in capsys.readouterr().out


def test_the_command_prints_heads_and_walks_the_no_clinic_chain(
    written: list[AccessEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper(f"UPDATE audit_accessevent SET action = 'list' WHERE id = {written[0].pk}")
    call_command("audit", "verify", "--no-clinic", "--heads")
    out = capsys.readouterr().out
    nobody = AccessEvent.objects.get(pk=written[5].pk)
    assert f"chain 0: #2 {nobody.row_hash}" in out
    assert "Audit chain intact: 2 rows in 1 chain." in out


def test_granting_roles_is_for_postgresql_only(db: Any) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("test_pg_roles runs it on PostgreSQL")
    with pytest.raises(CommandError, match="for PostgreSQL"):
        call_command("audit", "grant-app-role", "--role", "ketaflow")
