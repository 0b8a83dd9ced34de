"""Running `ketaflow worker` as a real subprocess against the test database.

On PostgreSQL the test database is a real one the subprocess connects to. On SQLite the test
database lives in memory, so it is copied to a file for the worker (SQLite's backup API, a
few milliseconds) and copied back afterwards, so the test reads what the worker wrote.
Tests using this need committed rows: `@pytest.mark.django_db(transaction=True)`, and are
marked `worker`: CI runs them once more with `KETAFLOW_TEST_WORKER=rq`, the worker then being
an RQ worker on a real Redis (database 13, emptied first), so both backends are proven.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

KETAFLOW = str(Path(sys.executable).with_name("ketaflow"))
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
TEST_REDIS_URL = "redis://127.0.0.1:6379/13"
TEST_RQ_QUEUES = {"default": {"URL": TEST_REDIS_URL, "DEFAULT_TIMEOUT": 600}}
# Which worker the kill tests run: the database one, or RQ (CI's second pass).
BACKEND = os.environ.get("KETAFLOW_TEST_WORKER", "database")


def worker_settings(backend: str = BACKEND) -> Any:
    """The settings a test queues its jobs with, matching the worker process it will start."""
    if backend == "rq":
        if not redis_reachable():
            if os.environ.get("KETAFLOW_REQUIRE_REDIS"):
                pytest.fail("Redis is not reachable at 127.0.0.1:6379 (required in CI)")
            pytest.skip("Redis is not reachable at 127.0.0.1:6379")
        clear_test_queue()
        return override_settings(TASKS=RQ_TASKS, RQ_QUEUES=TEST_RQ_QUEUES)
    return override_settings(TASKS=DB_TASKS)


def clear_test_queue() -> None:
    """Empty the test Redis database: no job left by an earlier run may reach this one's rows."""
    import redis

    redis.Redis.from_url(TEST_REDIS_URL).flushdb()


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.ConnectionError:
        return False


def descendants(pid: int) -> list[int]:
    """Every process descended from `pid` (Linux /proc), whatever its process group."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill(process: subprocess.Popen[str]) -> None:
    """kill -9 the worker, its process group and every process under it: RQ's work horse (the
    forked child running the job) calls `os.setpgrp()` (rq 3), so the group alone would leave
    it running the job on after the "kill"."""
    family = descendants(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 10  # orphans are reaped by init
    while any(Path(f"/proc/{pid}").exists() for pid in family) and time.monotonic() < deadline:
        time.sleep(0.05)


@dataclass
class WorkerDatabase:
    tmp: Path
    backend: str = BACKEND
    env_extra: dict[str, str] = field(default_factory=dict)

    @property
    def sqlite(self) -> bool:
        return connection.vendor == "sqlite"

    @property
    def url(self) -> str:
        if self.sqlite:
            return f"sqlite:///{self.tmp / 'worker.sqlite3'}"
        db = settings.DATABASES["default"]
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update(
            DATABASE_URL=self.url,
            KETAFLOW_TASKS_BACKEND=self.backend,
            REDIS_URL=TEST_REDIS_URL,
            KETAFLOW_EXPORT_DIR=str(getattr(settings, "KETAFLOW_EXPORT_DIR", self.tmp)),
            LOG_LEVEL="WARNING",
            **self.env_extra,
        )
        return env

    def push(self) -> None:
        """The test's committed rows, to where the worker reads them."""
        if self.sqlite:
            path = self.tmp / "worker.sqlite3"
            # The file and a killed worker's write-ahead log (the settings turn WAL on): a new
            # file beside an old log is a corrupt database ("disk I/O error").
            for stale in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                stale.unlink(missing_ok=True)
            connection.ensure_connection()
            with sqlite3.connect(path) as target:
                connection.connection.backup(target)
            target.close()

    def pull(self) -> None:
        """What the worker wrote, back into the test's database."""
        if self.sqlite:
            with sqlite3.connect(self.tmp / "worker.sqlite3") as source:
                source.backup(connection.connection)
            source.close()

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """`ketaflow worker --batch` (plus args) to completion, between push and pull."""
        self.push()
        done = subprocess.run(
            [KETAFLOW, "worker", "--batch", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.pull()
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def start(self, *args: str) -> subprocess.Popen[str]:
        """A long-running worker (the caller kills it), after a push."""
        self.push()
        return subprocess.Popen(
            [KETAFLOW, "worker", "--interval", "0.2", *args],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group (RQ's work horse leaves it: `kill`)
        )

    def kill_when(
        self, process: subprocess.Popen[str], ready: Callable[[], bool], timeout: float = 120
    ) -> None:
        """kill -9 the worker as soon as `ready()` (reading the worker's database) holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                out = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"the worker exited before the kill: {out}")
            if ready():
                kill(process)
                self.pull()
                return
            time.sleep(0.05)
        kill(process)
        raise AssertionError("the worker never reached the point to kill it at")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the worker's database while it runs (SQLite: the file; PostgreSQL: a new link)."""
        if self.sqlite:
            with sqlite3.connect(self.tmp / "worker.sqlite3", timeout=5) as link:
                rows = link.execute(sql, params).fetchall()
            link.close()
            return rows
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as link:
            return link.execute(sql.replace("?", "%s"), params).fetchall()  # type: ignore[arg-type]
