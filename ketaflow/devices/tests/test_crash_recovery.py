"""Crash test: `kill -9` the listener mid-stream, restart, resend; every AA'd message is
stored exactly once (and, after the resend, every message is).

The listener runs as a real subprocess (`python -m ketaflow.manage hl7-listen`) on the test
database: on SQLite a file copy of the (in-memory) test database, which the subprocess can
open; on PostgreSQL the test database itself, by name.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from ketaflow.devices.models import InboundMessage
from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.conftest import ack_fields

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]
TOTAL = 300


def _database_url(tmp_path: Path) -> tuple[str, Path | None]:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        path = tmp_path / "crash.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{path}", path
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}", None


def _start(url: str, slug: str, log: Path) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    with log.open("a") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ketaflow.manage",
                "hl7-listen",
                "--clinic",
                slug,
                "--port",
                "0",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 300)
    line = proc.stdout.readline() if ready else ""
    assert line.startswith("listening on "), f"listener did not start: {log.read_text()[-3000:]}"
    return proc, int(line.split()[2].rsplit(":", 1)[1])


def _acks(sock: socket.socket, acked: list[str], stop_after: int | None = None) -> None:
    """Collect AA control ids until the socket closes (or `stop_after` acks arrived)."""
    buf = b""
    while stop_after is None or len(acked) < stop_after:
        try:
            chunk = sock.recv(65536)
        except OSError:
            return
        if not chunk:
            return
        buf += chunk
        while M.MLLP_END in buf:
            block, buf = buf.split(M.MLLP_END, 1)
            ack = ack_fields(block[block.index(M.MLLP_START) + 1 :])
            assert ack["code"] == "AA", ack
            acked.append(ack["control_id"])


def _stored(path: Path | None) -> list[str]:
    if path is None:
        return list(InboundMessage.objects.values_list("control_id", flat=True))
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT control_id FROM devices_inboundmessage")]


def test_every_acknowledged_message_survives_a_kill_9_exactly_once(
    tmp_path: Path, clinic: Any, checked_in: Any, binding: Any
) -> None:
    url, path = _database_url(tmp_path)
    ids = [f"CR-{i:04d}" for i in range(TOTAL)]
    texts = {i: M.ge_b40(i, hr=60 + n % 40) for n, i in enumerate(ids)}

    proc, port = _start(url, clinic.slug, tmp_path / "listener.log")
    acked_first: list[str] = []
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        sender = threading.Thread(
            target=lambda: [sock.sendall(M.frame(texts[i])) for i in ids], daemon=True
        )
        sender.start()
        _acks(sock, acked_first, stop_after=40)
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: frames in flight, batches uncommitted
        proc.wait(30)
        _acks(sock, acked_first)  # whatever was already on the wire before the kill
        sock.close()
        sender.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert 40 <= len(acked_first) < TOTAL
    stored_after_crash = _stored(path)
    assert set(acked_first) <= set(stored_after_crash)  # nothing acknowledged was lost
    assert len(stored_after_crash) == len(set(stored_after_crash))

    proc, port = _start(url, clinic.slug, tmp_path / "listener.log")
    try:
        not_acked = [i for i in ids if i not in set(acked_first)]
        resend = not_acked + acked_first[:25]  # plus some that were acknowledged
        acked_second: list[str] = []
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(b"".join(M.frame(texts[i]) for i in resend))
            _acks(sock, acked_second, stop_after=len(resend))
        assert sorted(acked_second) == sorted(resend)
    finally:
        proc.send_signal(signal.SIGTERM)  # a clean stop this time
        try:
            assert proc.wait(60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()

    stored = _stored(path)
    assert sorted(stored) == sorted(ids)  # every message exactly once, none twice
