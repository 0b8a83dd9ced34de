"""One box on SQLite: twenty signed-in people charting at once never get an error (#14).

Every chart read writes an audit row, so on SQLite two people working at once used to meet
"database is locked" (a 500). The settings' SQLite options (WAL, a busy timeout, IMMEDIATE
transactions) make writers wait their turn instead. This test runs the real thing: gunicorn
with two worker processes of eight threads each on a SQLite *file* (the in-memory test
database cannot show locking between processes), and twenty clients that sign in through the
sign-in page, then for a few seconds add history entries (each followed by the chart, an
audited read) and list patients.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.db import connection

from ketaflow.conftest import PASSWORD

CLIENTS = 20
SECONDS_OF_LOAD = 8.0
WORKERS = ["--workers", "2", "--threads", "8", "--worker-class", "gthread", "--timeout", "60"]
# Loaded once, then forked (half the start-up work on a busy CI machine); no control socket,
# which gunicorn would otherwise share between every server started on the machine.
SERVER = ["--preload", "--no-control-socket", *WORKERS]

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite's settings are under test (the server runs on a SQLite file either way)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def clinic_on_a_file(transactional_db: Any, clinic: Any, tmp_path: Path) -> Path:
    """The test database with twenty nurses and a patient each, copied to a SQLite file."""
    from ketaflow.accounts.models import User
    from ketaflow.patients.models import Patient

    # The server checks passwords with the production hashers (tests hash with MD5).
    password_hash = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    for n in range(CLIENTS):
        nurse = User.objects.create(
            username=f"nurse{n}", role="nurse", clinic=clinic, password=password_hash
        )
        Patient.objects.create(
            clinic=clinic,
            mrn=f"KF-{n:06d}",
            given_name=f"Pat{n}",
            family_name="Load",
            date_of_birth=date(1980, 1, 1),
            sex_at_birth="female",
            created_by=nurse,
        )
    path = tmp_path / "clinic.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    return path


@pytest.fixture
def server(clinic_on_a_file: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{clinic_on_a_file}",
        "DEBUG": "false",
        "SECRET_KEY": "concurrency-test-" + "k" * 50,
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(gunicorn), "ketaflow.wsgi", "--bind", f"127.0.0.1:{port}", *SERVER],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while True:
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=30):
                    break
            except OSError:  # not listening yet (URLError), or still loading (timeout)
                if process.poll() is not None or time.monotonic() - started > 180:
                    raise AssertionError("gunicorn did not start:\n" + log.read_text()) from None
                time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Tally:
    requests: int = 0
    writes: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, *, write: bool = False) -> None:
        with self.lock:
            self.requests += 1
            self.writes += write

    def fail(self, what: str) -> None:
        with self.lock:
            self.requests += 1
            self.errors.append(what)


def _csrf(jar: CookieJar) -> str:
    return next(c.value or "" for c in jar if c.name == "csrftoken")


def _client(base: str, n: int, patient_pk: int, start: threading.Barrier, tally: Tally) -> None:
    """Sign in as nurse n, wait for the others, then chart patient `patient_pk` until time."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def call(path: str, form: dict[str, str] | None = None) -> bool:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(base + path, data=data)
        if form is not None:
            request.add_header("Referer", base + path)
        try:
            with opener.open(request, timeout=60) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            tally.fail(f"nurse{n} {path}: {exc.code} {exc.read()[:200]!r}")
            return False
        except (urllib.error.URLError, OSError) as exc:
            tally.fail(f"nurse{n} {path}: {exc}")
            return False
        tally.count(write=form is not None)
        return True

    signed_in = call("/accounts/login/") and call(
        "/accounts/login/",
        {"csrfmiddlewaretoken": _csrf(jar), "username": f"nurse{n}", "password": PASSWORD},
    )
    start.wait()  # everyone starts charting together (sign-in hashing is slow on purpose)
    stop_at = time.monotonic() + SECONDS_OF_LOAD
    chart = f"/patients/{patient_pk}/chart/"
    while signed_in and time.monotonic() < stop_at:
        call(  # saves the entry, then shows the chart (a read that is audited: a write too)
            f"{chart}history/add/",
            {"csrfmiddlewaretoken": _csrf(jar), "condition": "hypertension", "presence": "past"},
        )
        call("/patients/")


def test_twenty_signed_in_clients_charting_at_once_get_no_error(
    server: tuple[str, Path], clinic_on_a_file: Path
) -> None:
    base, log = server
    with sqlite3.connect(clinic_on_a_file) as db:
        patients = dict(db.execute("SELECT mrn, id FROM patients_patient").fetchall())
    tally = Tally()
    start = threading.Barrier(CLIENTS)
    threads = [
        threading.Thread(target=_client, args=(base, n, patients[f"KF-{n:06d}"], start, tally))
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    print(f"{tally.requests} requests, {tally.writes} writes, {len(tally.errors)} errors")
    server_log = log.read_text()
    assert tally.errors == [], "\n".join(
        line for line in server_log.splitlines() if "Error" in line or "locked" in line
    )
    assert "database is locked" not in server_log
    with sqlite3.connect(clinic_on_a_file) as db:
        (sign_ins,) = db.execute(
            "SELECT COUNT(*) FROM audit_accessevent WHERE action = 'sign_in'"
        ).fetchone()
        (history,) = db.execute("SELECT COUNT(*) FROM patients_historyitem").fetchone()
        (journal,) = db.execute("PRAGMA journal_mode").fetchone()
    assert sign_ins == CLIENTS  # every client really signed in and worked under its own name
    assert history == tally.writes - CLIENTS  # every saved entry is there (less the sign-ins)
    assert history >= CLIENTS  # each client charted at least once
    assert journal == "wal"
