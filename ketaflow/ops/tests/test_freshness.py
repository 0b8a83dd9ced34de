"""Memoised reads are reused only while nothing they could depend on moved: every write to a
table a page reads (whichever way it was written) changes the change stamp, the stamp moves
for other processes once the write commits (not before, never on a rollback), reads that
only write the audit log or the session do not move it, and the time window ends a reuse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from ketaflow.conftest import DEFAULT_NOW
from ketaflow.ops import freshness
from ketaflow.ops.models import ChangeStamp, Heartbeat


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ("SELECT * FROM patients_patient", False),
        ('SELECT "x" FROM "treatments_treatmentsession" WHERE id = 1 FOR UPDATE', False),
        ("SAVEPOINT s1", False),
        ("BEGIN IMMEDIATE", False),
        ('INSERT INTO "patients_patient" ("given_name") VALUES (%s)', True),
        ('UPDATE "treatments_treatmentsession" SET "version" = 2', True),
        ('DELETE FROM "devices_inboundmessage" WHERE id = 3', True),
        ("INSERT OR IGNORE INTO courses_course (id) VALUES (1)", True),
        # What reads themselves write: the audit row, the session's last-seen time, sign-ins.
        ('INSERT INTO "audit_accessevent" ("action") VALUES (%s)', False),
        ('UPDATE "django_session" SET "session_data" = %s', False),
        ('INSERT INTO "axes_accesslog" ("username") VALUES (%s)', False),
        (
            'INSERT INTO "ops_heartbeat" ("name") VALUES (%s) ON CONFLICT("name") DO UPDATE '
            'SET "last_beat_at" = EXCLUDED."last_beat_at"',
            False,
        ),
        (freshness._BUMP, False),
        # The HL7 listener's one statement: a WITH whose parts insert.
        (
            "WITH t AS (SELECT 1), m AS (INSERT INTO devices_inboundmessage (id) SELECT 1 "
            "RETURNING id) SELECT * FROM m",
            True,
        ),
        ("WITH t AS (SELECT 1) SELECT updated_at, deleted FROM t", False),
        # Anything unforeseen counts as a write.
        ('ALTER TABLE "patients_patient" ADD COLUMN "x" integer', True),
        ('TRUNCATE "patients_patient"', True),
    ],
)
def test_which_statements_change_what_pages_show(sql: str, writes: bool) -> None:
    assert freshness.writes_data(sql) is writes


@pytest.mark.django_db
def test_a_write_by_any_path_ends_the_reuse(clinic: Any) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert freshness.memo("t", 1, compute) == 1
    assert freshness.memo("t", 1, compute) == 1  # reused
    assert freshness.memo("t", 2, compute) == 2  # another key
    type(clinic).objects.filter(pk=clinic.pk).update(name="Renamed")  # no save(), no signal
    assert freshness.memo("t", 1, compute) == 3
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute("UPDATE accounts_clinic SET name = %s WHERE id = %s", ["Again", clinic.pk])
    assert freshness.memo("t", 1, compute) == 4


@pytest.mark.django_db
def test_reads_that_only_audit_do_not_end_the_reuse(clinic: Any, nurse: Any) -> None:
    from ketaflow.audit.services import record_event

    calls: list[int] = []
    freshness.memo("t", 1, lambda: calls.append(1))
    record_event(actor=nurse, action="view", clinic_id=clinic.pk, detail={"part": "x"})
    Heartbeat.objects.create(name="scheduler", last_beat_at=DEFAULT_NOW)
    freshness.memo("t", 1, lambda: calls.append(1))
    assert len(calls) == 1


@pytest.mark.django_db
def test_the_time_window_ends_the_reuse(clock: Any) -> None:
    calls: list[int] = []
    start = DEFAULT_NOW.replace(second=0, microsecond=0)
    clock(start)
    freshness.memo("t", 1, lambda: calls.append(1))
    clock(start + timedelta(seconds=freshness.WINDOW_SECONDS - 1))
    freshness.memo("t", 1, lambda: calls.append(1))
    assert len(calls) == 1
    clock(start + timedelta(seconds=freshness.WINDOW_SECONDS))
    freshness.memo("t", 1, lambda: calls.append(1))
    assert len(calls) == 2


def test_each_process_starts_its_windows_at_its_own_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two web workers never redraw every page at the same instant."""
    phases = set()
    for pid in (101, 102, 103):
        monkeypatch.setattr(freshness, "phase", None)
        monkeypatch.setattr("os.getpid", lambda pid=pid: pid)
        freshness.window(DEFAULT_NOW, 10)
        assert freshness.phase is not None and 0 <= freshness.phase < 10
        phases.add(freshness.phase)
    assert len(phases) == 3


def _shared() -> int:
    row = ChangeStamp.objects.filter(pk=1).values_list("value", flat=True).first()
    return row or 0


@pytest.mark.django_db(transaction=True)
def test_other_processes_see_a_write_once_it_commits_and_never_a_rolled_back_one(
    clinic: Any,
) -> None:
    before = _shared()
    with transaction.atomic():
        type(clinic).objects.filter(pk=clinic.pk).update(name="One")
        type(clinic).objects.filter(pk=clinic.pk).update(name="Two")
        assert _shared() == before  # not before the commit: others would cache old data
    assert _shared() == before + 1  # once per transaction, after it
    with pytest.raises(RuntimeError), transaction.atomic():
        type(clinic).objects.filter(pk=clinic.pk).update(name="Three")
        raise RuntimeError
    assert _shared() == before + 1
    type(clinic).objects.filter(pk=clinic.pk).update(name="Four")  # autocommit
    assert _shared() == before + 2


@pytest.mark.django_db(transaction=True)
def test_another_process_write_ends_this_process_reuse(clinic: Any) -> None:
    """Another process's commit reaches this one only through the shared stamp."""
    calls: list[int] = []
    freshness.memo("t", 1, lambda: calls.append(1))
    ChangeStamp.objects.filter(pk=1).update(value=_shared() + 1)  # what its bump does
    freshness.memo("t", 1, lambda: calls.append(1))
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_a_stamp_row_lost_to_a_flush_is_made_again(clinic: Any) -> None:
    ChangeStamp.objects.all().delete()
    type(clinic).objects.filter(pk=clinic.pk).update(name="Again")
    assert _shared() == 1


@pytest.mark.django_db
def test_a_request_reads_the_shared_stamp_once_and_still_sees_its_own_writes(
    clinic: Any, django_assert_num_queries: Any
) -> None:
    from django.test import RequestFactory

    seen: list[tuple[int, int]] = []

    def view(request: Any) -> None:
        with django_assert_num_queries(1):
            seen.append(freshness.stamp())
            seen.append(freshness.stamp())
        type(clinic).objects.filter(pk=clinic.pk).update(name="Written in the request")
        seen.append(freshness.stamp())

    freshness.StampPerRequestMiddleware(view)(RequestFactory().get("/"))
    assert seen[0] == seen[1]
    assert seen[2] != seen[1]  # its own write moved this process's part


def test_a_bump_that_fails_is_never_raised_into_the_write_and_a_lock_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import OperationalError

    class Refusing:
        def __init__(self, message: str) -> None:
            self.message = message

        def cursor(self) -> Any:
            raise OperationalError(self.message)

    for message, level in [
        ("no such table: ops_changestamp", "DEBUG"),  # a fresh database's migrate
        ("database is locked", "WARNING"),  # other processes' pages stay up to a window old
    ]:
        caplog.clear()
        monkeypatch.setattr(freshness, "connections", {"default": Refusing(message)})
        with caplog.at_level("DEBUG", logger="ketaflow.ops.freshness"):
            freshness._shared_bump("default")
        assert [r.levelname for r in caplog.records] == [level]
