"""The README's "Run it in production", followed to the letter on PostgreSQL and Redis (#14).

A fresh PostgreSQL database; the production settings (KETAFLOW_ENV=production, a strong
SECRET_KEY, RQ on Redis); `migrate` and `collectstatic`; then the three long-running processes
the README lists, each as its own process: gunicorn (2 workers), `ketaflow worker` and
`ketaflow scheduler`. It passes when `/readyz` says ready (database, migrations, queue, the
scheduler's heartbeat), every job the scheduler enqueued was run by the worker (their RQ jobs
finished), and a page answers with the production headers. Runs in CI's PostgreSQL pass.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of its own, emptied first
PG = "postgres://postgres@127.0.0.1:5432"

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="production runs on PostgreSQL (CI's PostgreSQL pass)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _redis() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("KETAFLOW_REQUIRE_REDIS"):
            pytest.fail("Redis is not reachable at 127.0.0.1:6379 (required in CI)")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return client


@pytest.fixture
def production(tmp_path: Path) -> Iterator[dict[str, str]]:
    name = f"ketaflow_production_{os.getpid()}"
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"CREATE DATABASE {name}")
    _redis().flushdb()
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "KETAFLOW_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"{PG}/{name}",
        "REDIS_URL": REDIS_URL,
        "KETAFLOW_TASKS_BACKEND": "rq",
        "ALLOWED_HOSTS": "127.0.0.1",
        "KETAFLOW_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "KETAFLOW_READY_HEARTBEATS": "scheduler",
        "KETAFLOW_EXPORT_DIR": str(tmp_path / "exports"),
        # Plain HTTP on loopback here; behind the README's TLS proxy this stays on.
        "SECURE_SSL_REDIRECT": "false",
        "PORT": str(port),
    }
    try:
        yield env
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _redis().flushdb()


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except OSError:
        return 0, {}, b""


def _until(check: Any, seconds: float, what: str, logs: list[Path]) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs)
    pytest.fail(f"{what} within {seconds:.0f} s\n{tails}")


def _finished_jobs(database_url: str) -> tuple[int, int]:
    """The scheduler's runs, and how many of their RQ jobs the worker finished."""
    import psycopg
    from rq.job import Job, JobStatus

    with psycopg.connect(database_url) as conn:
        ids = [r[0] for r in conn.execute("SELECT task_result_id FROM scheduler_scheduledrun")]
    done = 0
    for job_id in ids:
        try:
            status = Job.fetch(job_id, connection=_redis()).get_status()
        except Exception:  # not in Redis yet
            continue
        done += status == JobStatus.FINISHED
    return len(ids), done


def test_the_production_processes_run_together_on_postgresql_and_redis(
    production: dict[str, str], tmp_path: Path
) -> None:
    env = production
    ketaflow = str(BIN / "ketaflow")
    for step in (["migrate", "--no-input"], ["collectstatic", "--no-input"]):
        subprocess.run([ketaflow, *step], env=env, cwd=ROOT, check=True, capture_output=True)
    logs = [tmp_path / "web.log", tmp_path / "worker.log", tmp_path / "scheduler.log"]
    base = f"http://127.0.0.1:{env['PORT']}"
    gunicorn = [str(BIN / "gunicorn"), "ketaflow.wsgi", "--bind", base.removeprefix("http://")]
    processes = [
        _start([*gunicorn, "--workers", "2", "--no-control-socket"], env, logs[0]),
        _start([ketaflow, "worker"], env, logs[1]),
        _start([ketaflow, "scheduler", "--interval", "2"], env, logs[2]),
    ]
    try:
        assert _until(lambda: _get(f"{base}/healthz")[0] == 200, 90, "web answering", logs)
        status, _, body = _until(
            lambda: (r := _get(f"{base}/readyz"))[0] == 200 and r, 90, "/readyz ready", logs
        )
        ready = json.loads(body)
        assert status == 200 and ready, ready
        runs, done = _until(
            lambda: (c := _finished_jobs(env["DATABASE_URL"]))[0] and c[0] == c[1] and c,
            120,
            "every job the scheduler enqueued finished on the worker",
            logs,
        )
        assert runs >= 4 and done == runs
        status, headers, _ = _get(f"{base}/accounts/login/")
        assert status == 200
        assert "no-store" in headers["Cache-Control"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert all(p.poll() is None for p in processes), "a process exited early"
    finally:
        for p in processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
