"""Two `ketaflow scheduler --once` processes ticking at once enqueue each run exactly once.

Real subprocesses on the test database: on PostgreSQL the test database itself, by name; on
SQLite a file copy of the (in-memory) test database, which the subprocesses can open. On
PostgreSQL the race is forced, not left to timing: the test holds a lock on the run table
that lets both schedulers read (both see no run for the period) but blocks their inserts;
once both are waiting on it, the lock goes and both insert the same run at once, and the
unique index must turn one away.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]
NOW = "2026-11-25T10:30:00+00:00"
RUNS = 9  # five installation-wide jobs + two daily jobs in each of two clinics


def _database_url(tmp_path: Path) -> tuple[str, Path | None]:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "scheduler.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}", path
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}", None


def _start(url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ketaflow.manage", "scheduler", "--once", "--now", NOW],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _count(path: Path | None, table: str) -> int:
    if path is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")
            return int(cursor.fetchone()[0])
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _waiting_inserts(url: str, database: str) -> int:
    """Sessions blocked on inserting a run (asked on a fresh connection: within a transaction
    PostgreSQL keeps showing the activity snapshot it took first)."""
    with psycopg.connect(url, autocommit=True) as watch:
        row = watch.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
            " AND query LIKE 'INSERT INTO \"scheduler_scheduledrun\"%%'",
            (database,),
        ).fetchone()
    return int(row[0]) if row else 0


def test_two_schedulers_at_once_enqueue_each_job_and_period_once(
    tmp_path: Path, clinic: Any, other_clinic: Any
) -> None:
    url, path = _database_url(tmp_path)
    lock: psycopg.Connection[Any] | None = None
    if path is None:  # PostgreSQL: hold the inserts back until both schedulers are at them
        lock = psycopg.connect(url, autocommit=False)
        lock.execute("LOCK TABLE scheduler_scheduledrun IN SHARE ROW EXCLUSIVE MODE")
    procs = [_start(url), _start(url)]
    try:
        if lock is not None:
            database = connection.settings_dict["NAME"]
            deadline = time.monotonic() + 240
            while _waiting_inserts(url, database) < 2:
                assert all(p.poll() is None for p in procs), "a scheduler ended early"
                assert time.monotonic() < deadline, "the schedulers never reached the insert"
                time.sleep(0.2)
            lock.commit()  # both are blocked on the same insert: let them race
        outputs = [p.communicate(timeout=300) for p in procs]
    finally:
        if lock is not None:
            lock.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    enqueued = [line for out, _ in outputs for line in out.splitlines()]
    assert len(enqueued) == RUNS, enqueued
    assert all(line.startswith("enqueued ") for line in enqueued)
    assert _count(path, "scheduler_scheduledrun") == RUNS
    assert _count(path, "django_tasks_database_dbtaskresult") == RUNS
