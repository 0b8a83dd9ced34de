"""Scale test: one clinic served by two of everything, on one PostgreSQL and one Redis (#14).

    make bench-scale          # or: .venv/bin/python bench/bench_scale.py [--messages 1000]

What it does, in one run (production settings, KETAFLOW_TASKS_BACKEND=rq):
1. creates its own PostgreSQL database (dropped at the end) and empties its own Redis database
   (REDIS_URL, default db 11, emptied before and after); migrates, seeds the synthetic demo
   clinic (`ketaflow seed-demo`) and adds a clinic-wide daily GAD-7 rule so that every treated
   open course has a form due (reminders to send); then starts, each in its own process group:
   two gunicorn instances (2 workers each, different ports), two `ketaflow worker`s, two
   `ketaflow hl7-listen --clinic demo --instance a|b` on two ports and two `ketaflow
   scheduler`s; /readyz must see the scheduler's and both listeners' heartbeats;
2. HL7: N ORU^R01 messages with unique control ids (MSH-10), split across both listeners by
   16 concurrent senders (a monitor each: send, wait for the ACK, send the next), while 10% of
   them are sent again at the same time to the OTHER listener. Every message must be ACKed AA
   with its own MSA-2, stored exactly once (one row, one set of readings, one audit event),
   and of each raced pair exactly one ACK says stored and one "Duplicate";
3. export: a FHIR Bulk Data kick-off through gunicorn A as the clinic admin; status polled
   through gunicorn B; once a quarter of the patients are written, the worker running it
   (RQ's worker registry says which) is killed with SIGKILL (its process group: RQ's work
   horse too) and restarted. The export's lease (10 minutes, `fhir.services.STALE_AFTER`) is
   fast-forwarded by moving the dead attempt's heartbeat back, as its unit test does; the
   restarted worker's start-up recovery, the scheduler and the status polls may all queue
   the retry. It passes when the one job ends done on attempt 2, one zip is in the export
   directory, and the manifest and the Patient file (read through B) hold each patient once;
4. reminders: both schedulers tick every 2 s from the start (racing for the same hourly
   period); then two `scheduler --once --now` race for each of the next three hours. Each
   period has one ScheduledRun, every reminder form one Reminder, every reminder link one
   outbox message, and every sent outbox message exactly one email (file backend) — and each
   patient's questionnaire email arrives once;
5. no state in the web tier: a sign-in form fetched from A and posted to B signs in; the
   session works on A and B; signing out on B ends it on A; the sign-in lockout (django-axes)
   counts failures made on A and B together and locks the user out on both; /metrics
   (through B) counts the frames of both listeners (each beats under its own name);
6. prints the figures and PASS/FAIL per check, the load average, and exits 1 on any FAIL.
   Every process it started is killed (process groups) even on error; the database is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "ketaflow_bench_scale"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"  # tests use 12-14, development 0
START, END = b"\x0b", b"\x1c\r"
SENDERS = 16
METRICS_TOKEN = secrets.token_urlsafe(32)


# ------------------------------------------------------------------------------ plumbing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg(sql: str, params: tuple[Any, ...] = (), db: str = DB_NAME) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(f"{PG}/{db}", autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


@dataclass
class Proc:
    name: str
    args: list[str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str]) -> Proc:
        self.popen = subprocess.Popen(
            self.args,
            env=env,
            cwd=ROOT,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill takes its children too
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> list[int]:
        """SIGKILL the process, its group and every descendant: RQ's work horse puts itself in
        a process group of its own (`os.setpgrp()` in rq 3), so killing the worker's group
        alone would leave the horse running the job. Returns the descendants' pids."""
        if not self.alive():
            return []
        family = descendants(self.pid)
        os.killpg(self.pid, signal.SIGKILL)
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert self.popen is not None
        self.popen.wait(timeout=30)
        return family

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        try:
            os.killpg(self.pid, signal.SIGTERM)
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=15)
        except ProcessLookupError:
            pass

    def tail(self, chars: int = 2500) -> str:
        try:
            return f"--- {self.name}\n{self.log.read_text(errors='replace')[-chars:]}"
        except OSError:
            return f"--- {self.name}: no log"


def descendants(pid: int) -> list[int]:
    """Every process descended from `pid` (Linux /proc), whatever its process group."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def until(check: Any, seconds: float, what: str, procs: list[Proc], step: float = 0.25) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(step)
    raise RuntimeError(f"{what}: not within {seconds:.0f} s\n" + "\n".join(p.tail() for p in procs))


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)
    location: str = ""

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http(
    url: str,
    *,
    cookies: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """One request, no redirects followed, cookies by hand (the production cookies are Secure,
    which a cookie jar would not send over the bench's plain HTTP on loopback)."""
    h = dict(headers or {})
    if cookies:
        h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=h)
    try:
        resp = _OPENER.open(request, timeout=30)
        status, got, payload = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, got, payload = err.code, err.headers, err.read()
    except OSError:  # not answering (yet)
        return Response(0, {}, b"")
    set_cookies: dict[str, str] = {}
    for raw in got.get_all("Set-Cookie") or []:
        jar: SimpleCookie = SimpleCookie()
        jar.load(raw)
        for name, morsel in jar.items():
            set_cookies[name] = morsel.value
    return Response(status, dict(got.items()), payload, set_cookies, got.get("Location", ""))


def login_form(base: str) -> tuple[dict[str, str], str]:
    r = http(f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text())
    if r.status != 200 or token is None:
        raise RuntimeError(f"no sign-in form at {base}: {r.status}")
    return r.cookies, token.group(1)


def sign_in(
    form_base: str, post_base: str, username: str, password: str
) -> tuple[Response, dict[str, str]]:
    """Fetch the form from one instance, post it to another; (answer, cookies after)."""
    cookies, token = login_form(form_base)
    r = http(
        f"{post_base}/accounts/login/",
        cookies=cookies,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{post_base}/accounts/login/"},
    )
    return r, {**cookies, **r.cookies}


def signed_in(r: Response) -> bool:
    return r.status == 302 and "/accounts/login" not in r.location


# ------------------------------------------------------------------------------ set-up


def seed_script(env: dict[str, str], patients: int) -> dict[str, Any]:
    """The demo clinic's facts the bench needs, and a clinic-wide daily reminder rule."""
    script = r"""
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.settings")
django.setup()
from ketaflow.accounts.models import Clinic, User
from ketaflow.demo.clinic import DEMO_PASSWORD
from ketaflow.devices.matching import ACTIVE_STATUSES
from ketaflow.devices.models import MonitorBinding
from ketaflow.patients.models import Patient
from ketaflow.portal import derive, services
from ketaflow.portal.models import RuleScope
from ketaflow.treatments.models import TreatmentSession

from django.utils import timezone
from ketaflow.synthetic.load import load

clinic = Clinic.objects.get(slug="demo")
nurse = User.objects.get(username="nurse")
staff = {"nurse": nurse, "prescriber": User.objects.get(username="prescriber")}
# Courses under way (started 3 days to 2 months ago), each patient with an email address.
load(clinic, patients=PATIENTS, seed=14, today=timezone.localdate(), sessions_per_patient=6,
     responses_per_patient=8, months_back=2, latest_start_days_ago=3, mrn_prefix="KF-S",
     staff=staff)
services.add_rule(nurse, scope=RuleScope.CLINIC, instrument="gad7", phase="induction",
                  offsets_days=[1], repeat_every_days=1, window_days=1,
                  reason="bench-scale: a daily GAD-7, so that reminders are due")
services.add_rule(nurse, scope=RuleScope.CLINIC, instrument="gad7", phase="maintenance",
                  offsets_days=[1], repeat_every_days=1, window_days=1,
                  reason="bench-scale: a daily GAD-7, so that reminders are due")
bindings = {
    b.chair_id: b.location for b in MonitorBinding.objects.filter(clinic=clinic, active=True)
}
active = TreatmentSession.objects.filter(
    clinic=clinic, status__in=[str(x) for x in ACTIVE_STATUSES]
).select_related("patient").order_by("pk")
session = next((s for s in active if s.chair_id in bindings), None)
if session is not None:
    mrn, bed = session.patient.mrn, bindings[session.chair_id]
else:
    mrn, bed = Patient.objects.filter(clinic=clinic).order_by("pk").first().mrn, "BED1"
print(json.dumps({"password": DEMO_PASSWORD, "mrn": mrn, "bed": bed,
                  "session": session.pk if session else None,
                  "patients": Patient.objects.filter(clinic=clinic).count()}))
"""
    out = subprocess.run(
        [str(BIN / "python"), "-c", script.replace("PATIENTS", str(patients))],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"seeding failed:\n{out.stdout}\n{out.stderr}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# ------------------------------------------------------------------------------ 2. HL7


def hl7_message(ctrl: str, mrn: str, bed: str) -> bytes:
    t = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "+0000"
    segments = [
        f"MSH|^~\\&|VSP^080019FFFE134535^EUI-64|GE Healthcare|||{t}||ORU^R01^ORU_R01|{ctrl}|P|2.6"
        "|||NE|AL||UNICODE UTF-8|||PCD_DEC_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        f"PID|||{mrn}^^^PID^MR||PATIENT^BENCH^^^^^L",
        f"PV1||R|SURGERY^^{bed}",
        f"OBR|1|{ctrl}^VSP^080019FFFE134535^EUI-64||182777000^monitoring of patient^SCT|||{t}",
        "OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X",
        "OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC|1.5.1.1|72|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R",
        "OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.13.1.1|124|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|4|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.13.1.2|80|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|5|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.3.1.1|98|262688^MDC_DIM_PERCENT^MDC|||||R",
    ]
    return START + ("\r".join(segments) + "\r").encode() + END


@dataclass
class Ack:
    ctrl: str
    port: int
    code: str
    msa2: str
    text: str
    seconds: float


async def monitor(port: int, ctrls: list[str], mrn: str, bed: str, acks: list[Ack]) -> None:
    """One monitor on one connection: send, wait for the ACK, send the next."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for ctrl in ctrls:
            t0 = time.perf_counter()
            writer.write(hl7_message(ctrl, mrn, bed))
            await writer.drain()
            block = await asyncio.wait_for(reader.readuntil(END), 60)
            seconds = time.perf_counter() - t0
            segments = block.decode("utf-8", "replace").strip("\x0b\x1c\r").split("\r")
            msa = next((s for s in segments if s.startswith("MSA")), "MSA||").split("|")
            acks.append(Ack(ctrl, port, msa[1], msa[2], "|".join(msa[3:]), seconds))
    finally:
        writer.close()
        await writer.wait_closed()


async def hl7_traffic(
    ports: tuple[int, int], n: int, dup_every: int, mrn: str, bed: str, run: str
) -> tuple[list[Ack], list[Ack], float]:
    """`n` unique messages over SENDERS monitors (half per listener); one in `dup_every` also
    sent, at the same time, by monitors of their own to the other listener."""
    ctrls = [f"SCALE-{run}-{i:05d}" for i in range(n)]
    per_sender: list[list[str]] = [ctrls[i::SENDERS] for i in range(SENDERS)]
    home = {c: ports[i % 2] for i, chunk in enumerate(per_sender) for c in chunk}
    # Every `dup_every`-th message, shifted by one every other time: half of them first go to
    # each listener (a message's listener is its sender's parity).
    dups = [ctrls[i + (i // dup_every) % 2] for i in range(0, n - 1, dup_every)]
    dup_senders: dict[int, list[str]] = {ports[0]: [], ports[1]: []}
    for c in dups:
        other = ports[1] if home[c] == ports[0] else ports[0]
        dup_senders[other].append(c)
    acks: list[Ack] = []
    dup_acks: list[Ack] = []
    t0 = time.perf_counter()
    await asyncio.gather(
        *(monitor(ports[i % 2], chunk, mrn, bed, acks) for i, chunk in enumerate(per_sender)),
        *(
            monitor(port, chunk[j::2], mrn, bed, dup_acks)
            for port, chunk in dup_senders.items()
            for j in range(2)
        ),
    )
    return acks, dup_acks, time.perf_counter() - t0


# ------------------------------------------------------------------------------ the bench


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


class Bench:
    def __init__(self, opts: argparse.Namespace, tmp: Path) -> None:
        self.opts = opts
        self.tmp = tmp
        self.procs: list[Proc] = []
        self.checks: list[Check] = []
        self.figures: list[tuple[str, str]] = []
        self.redis_url = opts.redis_url
        self.ports = {k: free_port() for k in ("web_a", "web_b", "hl7_a", "hl7_b")}
        self.base_a = f"http://127.0.0.1:{self.ports['web_a']}"
        self.base_b = f"http://127.0.0.1:{self.ports['web_b']}"
        self.mail_dir = tmp / "mail"
        self.export_dir = tmp / "exports"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp),
            "KETAFLOW_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "REDIS_URL": self.redis_url,
            "KETAFLOW_TASKS_BACKEND": "rq",
            "ALLOWED_HOSTS": "127.0.0.1",
            "KETAFLOW_PUBLIC_URL": self.base_a,
            "KETAFLOW_EXPORT_DIR": str(self.export_dir),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            "KETAFLOW_READY_HEARTBEATS": "scheduler,hl7:demo/a,hl7:demo/b",
            "KETAFLOW_METRICS_TOKEN": METRICS_TOKEN,
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
            "LOG_LEVEL": "WARNING",
            "KETAFLOW_LOG_FORMAT": "text",
        }
        self.facts: dict[str, Any] = {}
        self.frames_sent = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        print(f"  {'PASS' if ok else 'FAIL'}  {name}{': ' + detail if detail else ''}", flush=True)
        return bool(ok)

    def figure(self, name: str, value: str) -> None:
        self.figures.append((name, value))
        print(f"  {name}: {value}", flush=True)

    def ketaflow(self, *args: str, env: dict[str, str] | None = None) -> None:
        done = subprocess.run(
            [str(BIN / "ketaflow"), *args],
            env=env or self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"ketaflow {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def proc(self, name: str, *args: str) -> Proc:
        p = Proc(name, list(args), self.tmp / f"{name}.log").start(self.env)
        self.procs.append(p)
        return p

    # -- 1

    def set_up(self) -> None:
        pg(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", db="postgres")
        pg(f"CREATE DATABASE {DB_NAME}", db="postgres")
        redis_client(self.redis_url).flushdb()
        print("[1] migrating, seeding the demo clinic …", flush=True)
        self.ketaflow("migrate", "--no-input", "-v0")
        self.ketaflow("collectstatic", "--no-input", "-v0")
        # The demo's sign-ins have a published password: seed-demo refuses production.
        dev = {**self.env, "KETAFLOW_ENV": "development"}
        self.ketaflow("seed-demo", env=dev)
        self.facts = seed_script(dev, self.opts.patients)
        self.facts["password"] = str(self.facts["password"])

    def start_all(self) -> None:
        print("[1] starting 2 gunicorn, 2 workers, 2 HL7 listeners, 2 schedulers …", flush=True)
        k = str(BIN / "ketaflow")
        for name in ("web_a", "web_b"):
            self.proc(
                name,
                str(BIN / "gunicorn"),
                "ketaflow.wsgi",
                "--bind",
                f"127.0.0.1:{self.ports[name]}",
                "--workers",
                "2",
                "--no-control-socket",
            )
        self.workers = [self.proc(f"worker_{n}", k, "worker") for n in (1, 2)]
        for name in ("hl7_a", "hl7_b"):
            self.proc(
                name,
                k,
                "hl7-listen",
                "--clinic",
                "demo",
                "--instance",
                name.removeprefix("hl7_"),
                "--port",
                str(self.ports[name]),
                "-v0",
            )
        self.t_schedulers = datetime.now(UTC)
        for n in (1, 2):
            self.proc(f"scheduler_{n}", k, "scheduler", "--interval", "2")
        for base in (self.base_a, self.base_b):
            until(lambda b=base: http(f"{b}/healthz").status == 200, 90, "web up", self.procs)
        for name in ("hl7_a", "hl7_b"):
            until(lambda n=name: _connectable(self.ports[n]), 90, f"{name} listening", self.procs)
        ready = until(
            lambda: (r := http(f"{self.base_b}/readyz")).status == 200 and r, 90, "/readyz", []
        )
        self.check("/readyz ready on both instances (DB, queue, heartbeats)", bool(ready))

    # -- 2

    def hl7(self) -> None:
        n, dup_every = self.opts.messages, 10
        print(f"[2] HL7: {n} messages over {SENDERS} monitors on 2 listeners …", flush=True)
        run = secrets.token_hex(3)
        ports = (self.ports["hl7_a"], self.ports["hl7_b"])
        acks, dup_acks, seconds = asyncio.run(
            hl7_traffic(ports, n, dup_every, self.facts["mrn"], self.facts["bed"], run)
        )
        all_acks = acks + dup_acks
        self.frames_sent = len(all_acks)
        latencies = sorted(a.seconds for a in all_acks)
        q = statistics.quantiles(latencies, n=100)
        self.figure(
            "HL7 messages/s (2 listeners)",
            f"{len(all_acks) / seconds:.0f} ({len(acks)} unique + {len(dup_acks)} raced "
            f"duplicates in {seconds:.1f} s)",
        )
        self.figure("HL7 ACK latency p50 / p99", f"{q[49] * 1000:.1f} / {q[98] * 1000:.1f} ms")
        split = Counter(a.port for a in all_acks)
        self.figure(
            "HL7 frames per listener (duplicates included)",
            " / ".join(str(split[p]) for p in ports),
        )
        bad = [a for a in all_acks if a.code != "AA" or a.msa2 != a.ctrl]
        self.check(
            "every HL7 message ACKed AA with its own control id",
            len(acks) == n and not bad,
            f"{len(all_acks)} ACKs, {len(bad)} not AA" + (f", e.g. {bad[0]}" if bad else ""),
        )
        rows = pg(
            "SELECT count(*), count(DISTINCT control_id), count(*) FILTER (WHERE status='stored')"
            " FROM devices_inboundmessage WHERE control_id LIKE %s",
            (f"SCALE-{run}-%",),
        )[0]
        self.check(
            f"each of the {n} messages stored exactly once",
            rows[0] == rows[1] == n,
            f"{rows[0]} rows, {rows[1]} control ids ({rows[2]} matched to a session)",
        )
        readings = pg(
            "SELECT count(*), count(DISTINCT r.message_id) FROM devices_devicereading r "
            "JOIN devices_inboundmessage m ON m.id = r.message_id WHERE m.control_id LIKE %s",
            (f"SCALE-{run}-%",),
        )[0]
        self.check(
            "one set of readings per stored, matched message",
            readings[0] == readings[1] == rows[2],
            f"{readings[0]} readings for {readings[1]} messages",
        )
        audits = pg(
            "SELECT count(*), count(DISTINCT a.object_id) FROM audit_accessevent a "
            "JOIN devices_inboundmessage m ON a.object_id = m.id::text "
            "WHERE a.actor_label = 'hl7-listen' AND a.object_type ILIKE '%%inboundmessage%%' "
            "AND m.control_id LIKE %s",
            (f"SCALE-{run}-%",),
        )[0]
        self.check(
            "one audit event per stored message",
            audits[0] == audits[1] == n,
            f"{audits[0]} events for {audits[1]} messages",
        )
        by_ctrl: dict[str, list[Ack]] = {}
        for a in all_acks:
            by_ctrl.setdefault(a.ctrl, []).append(a)
        raced = [by_ctrl[c] for c in {a.ctrl for a in dup_acks}]
        once = sum(1 for pair in raced if sum("Duplicate" in a.text for a in pair) == len(pair) - 1)
        self.check(
            "of each message raced to both listeners, one ACK stored it, the other a duplicate",
            once == len(raced) == len(dup_acks),
            f"{once} of {len(raced)} pairs",
        )

    # -- 3

    def export(self) -> None:
        print("[3] export: kick-off on A, status on B, kill -9 the worker mid-way …", flush=True)
        r, admin = sign_in(self.base_a, self.base_a, "admin", self.facts["password"])
        if not self.check("the clinic admin signs in on A", signed_in(r), f"{r.status}"):
            return
        kick = http(
            f"{self.base_a}/api/v1/fhir/$export",
            cookies=admin,
            headers={"Prefer": "respond-async", "Accept": "application/fhir+json"},
        )
        if not self.check("kick-off on A answers 202", kick.status == 202, f"{kick.status}"):
            return
        status_url = kick.headers["Content-Location"].replace(self.base_a, self.base_b)
        job_id = int(status_url.rstrip("/").rsplit("/", 1)[1])
        t0 = time.monotonic()
        progress = ""

        def midway() -> bool:
            nonlocal progress
            s = http(status_url, cookies=admin)
            progress = s.headers.get("X-Progress", "")
            m = re.match(r"(\d+) of (\d+)", progress)
            if s.status != 202:
                raise RuntimeError(f"the export ended before the kill: {s.status} {s.text()}")
            return bool(m and int(m.group(2)) // 4 <= int(m.group(1)) < int(m.group(2)))

        until(midway, 120, "export under way", self.procs, step=0.05)
        victim = self._worker_running(job_id)
        if not self.check(
            "RQ's registry names the worker running the export", victim is not None, progress
        ):
            return
        assert victim is not None
        horses = victim.kill9()
        deadline = time.monotonic() + 10  # reaped by init once its parent is gone
        while any(Path(f"/proc/{p}").exists() for p in horses) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.check(
            "the worker and its RQ work horse killed (SIGKILL)",
            bool(horses) and not any(Path(f"/proc/{pid}").exists() for pid in horses),
            f"worker {victim.pid}, horse {horses}",
        )
        killed_at = pg("SELECT done, total, status FROM fhir_exportjob WHERE id=%s", (job_id,))[0]
        self.figure("export killed at", f"{killed_at[0]} of {killed_at[1]} patients ({progress})")
        self.check(
            "the worker was killed mid-export",
            killed_at[2] == "running" and 0 < killed_at[0] < killed_at[1],
            f"{killed_at}",
        )
        victim.start(self.env)  # restarted, as systemd would
        # Fast-forward the lease (10 minutes) instead of waiting for it.
        pg(
            "UPDATE fhir_exportjob SET heartbeat_at = heartbeat_at - interval '11 minutes' "
            "WHERE id=%s",
            (job_id,),
        )
        polls = 0

        def finished() -> Response | None:
            nonlocal polls
            polls += 1
            s = http(status_url, cookies=admin)
            return s if s.status != 202 else None

        done = until(finished, 300, "export finished", self.procs, step=0.5)
        self.figure("export wall time (with kill and retry)", f"{time.monotonic() - t0:.1f} s")
        self.figure("status polls through B after the kill", str(polls))
        job = pg(
            "SELECT status, attempts, done, total, file_path FROM fhir_exportjob WHERE id=%s",
            (job_id,),
        )[0]
        jobs = pg("SELECT count(*) FROM fhir_exportjob")[0][0]
        self.check(
            "one export job, finished on its second attempt, every patient written",
            jobs == 1 and job[0] == "done" and job[1] == 2 and job[2] == job[3] > 0,
            f"jobs={jobs} status={job[0]} attempts={job[1]} done={job[2]}/{job[3]}",
        )
        files = sorted(p.name for p in self.export_dir.iterdir())
        self.check(
            "one file in the export directory, the job's",
            files == [Path(job[4]).name],
            ", ".join(files),
        )
        manifest = json.loads(done.body) if done.status == 200 else {}
        outputs = {o["type"]: o for o in manifest.get("output", [])}
        patient = outputs.get("Patient")
        lines: list[str] = []
        if patient:
            url = patient["url"].replace(self.base_a, self.base_b)
            lines = [x for x in http(url, cookies=admin).text().splitlines() if x.strip()]
        ids = Counter(json.loads(x)["id"] for x in lines)
        clinic_patients = pg(
            "SELECT count(*) FROM patients_patient p JOIN accounts_clinic c ON c.id = p.clinic_id"
            " WHERE c.slug = 'demo'"
        )[0][0]
        self.check(
            "manifest and Patient.ndjson through B: each patient once",
            done.status == 200
            and len(ids) == clinic_patients
            and all(v == 1 for v in ids.values())
            and patient is not None
            and patient["count"] == clinic_patients,
            f"{done.status}, {len(lines)} lines, {len(ids)} ids, {clinic_patients} patients",
        )

    def _worker_running(self, job_id: int) -> Proc | None:
        """The `ketaflow worker` whose RQ worker is running the export's job."""
        from rq import Worker

        conn = redis_client(self.redis_url)
        for _ in range(40):
            for w in Worker.all(connection=conn):
                job = w.get_current_job()
                if job is None or "run_clinic_export" not in (job.description or ""):
                    continue
                for p in self.workers:
                    if p.alive() and p.pid == w.pid:
                        return p
            time.sleep(0.05)
        return None

    # -- 4

    def reminders(self) -> None:
        print("[4] reminders: 2 schedulers, then 2 racing ticks for each of 3 hours …", flush=True)
        k = str(BIN / "ketaflow")
        start = self.t_schedulers.replace(minute=0, second=0, microsecond=0)
        for hour in (1, 2, 3):
            moment = (start + timedelta(hours=hour, minutes=1)).isoformat()
            pair = [
                Proc(
                    f"tick_{hour}_{n}",
                    [k, "scheduler", "--once", "--now", moment],
                    self.tmp / f"tick_{hour}_{n}.log",
                )
                for n in (1, 2)
            ]
            for p in pair:
                self.procs.append(p.start(self.env))
            for p in pair:
                assert p.popen is not None
                p.popen.wait(timeout=120)

        def settled() -> bool:
            jobs = pg(
                "SELECT count(*) FROM scheduler_scheduledrun WHERE job='questionnaire-reminders'"
            )[0][0]
            pending = pg("SELECT count(*) FROM mail_outboxmessage WHERE status <> 'sent'")[0][0]
            queued = _rq_busy(self.redis_url)
            return jobs >= 4 and pending == 0 and not queued

        until(settled, 240, "reminder rounds run and every email sent", self.procs, step=1)
        runs = pg(
            "SELECT job, clinic_id, period_start, count(*) FROM scheduler_scheduledrun "
            "GROUP BY 1, 2, 3"
        )
        reminder_periods = sum(1 for r in runs if r[0] == "questionnaire-reminders")
        self.check(
            "each job's period enqueued once by 2+2 schedulers",
            all(r[3] == 1 for r in runs) and reminder_periods >= 4,
            f"{len(runs)} runs, {reminder_periods} reminder periods",
        )
        reminders = pg(
            "SELECT count(*), count(DISTINCT (course_id, instrument, due_on)) "
            "FROM portal_reminder WHERE outcome='sent'"
        )[0]
        links = pg("SELECT count(*) FROM portal_portallink WHERE origin='reminder'")[0][0]
        self.figure("reminders sent (forms / emails)", f"{reminders[0]} / {links}")
        self.check(
            "each due form reminded once, one link per reminder email",
            reminders[0] == reminders[1] > 0 and links > 0,
            f"{reminders[0]} reminders for {reminders[1]} forms, {links} links",
        )
        outbox = pg("SELECT kind, subject, recipients, status FROM mail_outboxmessage")
        sent = [o for o in outbox if o[3] == "sent"]
        emails = _read_mail(self.mail_dir)
        # Each outbox row is one email: the emails' (subject, To) are the rows', as many times.
        expected = Counter((o[1], ", ".join(o[2])) for o in outbox)
        delivered = Counter((e["subject"], e["to"]) for e in emails)
        extra = delivered - expected
        self.figure("emails delivered (all kinds)", f"{len(emails)} for {len(sent)} outbox rows")
        self.check(
            "every outbox message sent, each as exactly one email",
            len(sent) == len(outbox) == len(emails) and delivered == expected,
            f"{len(outbox)} rows, {len(sent)} sent, {len(emails)} emails, "
            f"{sum(extra.values())} extra, {sum((expected - delivered).values())} missing",
        )
        per_patient = pg(
            "SELECT patient_id, count(*) FROM portal_portallink WHERE origin='reminder' GROUP BY 1"
        )
        self.check(
            "each reminded patient got one reminder email",
            bool(per_patient) and all(n == 1 for _, n in per_patient),
            f"{len(per_patient)} patients, at most "
            f"{max((n for _, n in per_patient), default=0)} each",
        )

    # -- 5

    def stateless(self) -> None:
        print("[5] web tier: sessions and the sign-in lockout across A and B …", flush=True)
        pw = self.facts["password"]
        r, nurse = sign_in(self.base_a, self.base_b, "nurse", pw)
        self.check("sign-in form from A, posted to B, signs in", signed_in(r), f"{r.status}")
        a = http(f"{self.base_a}/patients/", cookies=nurse)
        b = http(f"{self.base_b}/patients/", cookies=nurse)
        self.check(
            "one session cookie works on A and on B",
            a.status == b.status == 200,
            f"A {a.status}, B {b.status}",
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', b.text())
        out = http(
            f"{self.base_b}/accounts/logout/",
            cookies=nurse,
            data={"csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Referer": f"{self.base_b}/patients/"},
        )
        after = http(f"{self.base_a}/patients/", cookies=nurse)
        self.check(
            "signing out on B ends the session on A",
            out.status in (200, 302)
            and after.status == 302
            and "/accounts/login" in after.location,
            f"sign-out {out.status}, then A {after.status} → {after.location}",
        )
        tries = []
        for n in range(5):  # AXES_FAILURE_LIMIT, alternating instances
            base = (self.base_a, self.base_b)[n % 2]
            tries.append(sign_in(base, base, "frontdesk", "wrong-password-1234")[0].status)
        locked_b = sign_in(self.base_b, self.base_b, "frontdesk", pw)[0]
        locked_a = sign_in(self.base_a, self.base_a, "frontdesk", pw)[0]
        self.check(
            "5 failed sign-ins split over A and B lock the user out on both",
            not signed_in(locked_a)
            and not signed_in(locked_b)
            and locked_a.status == locked_b.status == 429,
            f"failures {tries}, then right password: A {locked_a.status}, B {locked_b.status}",
        )

    # -- 6

    def metrics(self) -> None:
        """Each listener's own heartbeat reaches /metrics: the frames of both are counted."""
        from prometheus_client.parser import text_string_to_metric_families

        sent = self.frames_sent

        def scraped() -> dict[str, float] | None:
            r = http(f"{self.base_b}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            frames = {
                s.labels.get("listener", ""): s.value
                for family in text_string_to_metric_families(r.text())
                for s in family.samples
                if s.name == "ketaflow_hl7_frames_received_total"
                and s.labels.get("clinic") == "demo"
            }
            return frames if sum(frames.values()) >= sent else None

        try:  # the listeners beat every 15 s
            frames = until(scraped, 40, "the listeners' frames in /metrics", [], step=2)
        except RuntimeError:
            frames = scraped() or {}
        self.check(
            "/metrics (through B) counts each listener's frames: every frame sent",
            sum(frames.values()) == sent and len(frames) == 2,
            ", ".join(f"{k or '-'}: {v:.0f}" for k, v in sorted(frames.items())) + f" of {sent}",
        )

    def all_alive(self) -> None:
        dead = [
            p.name
            for p in self.procs
            if p.popen is not None and not p.name.startswith("tick") and not p.alive()
        ]
        self.check("every long-running process still up at the end", not dead, ", ".join(dead))

    def stop_all(self) -> None:
        for p in self.procs:
            try:
                p.stop()
            except Exception as exc:  # keep stopping the others
                print(f"could not stop {p.name}: {exc}", file=sys.stderr)


def _connectable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _rq_busy(url: str) -> bool:
    from rq import Queue, Worker
    from rq.registry import ScheduledJobRegistry

    conn = redis_client(url)
    queue = Queue("default", connection=conn)
    if len(queue) or len(ScheduledJobRegistry(queue=queue)):
        return True
    return any(w.get_current_job_id() for w in Worker.all(connection=conn))


def _read_mail(folder: Path) -> list[dict[str, str]]:
    """The file backend's files: each holds messages separated by a line of 79 dashes."""
    found: list[dict[str, str]] = []
    if not folder.exists():
        return found
    for path in sorted(folder.iterdir()):
        for chunk in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if not chunk.strip():
                continue
            msg = email.message_from_string(chunk)
            found.append({"subject": str(msg["Subject"]), "to": str(msg["To"])})
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument(
        "--patients", type=int, default=60, help="Synthetic patients with courses under way"
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--keep-logs", action="store_true", help="Keep the processes' logs")
    opts = parser.parse_args()
    load_before = os.getloadavg()
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="ketaflow-bench-scale-"))
    bench = Bench(opts, tmp)
    error = ""
    try:
        bench.set_up()
        bench.start_all()
        steps = (bench.hl7, bench.export, bench.reminders, bench.stateless, bench.metrics)
        for step in (*steps, bench.all_alive):
            try:
                step()
            except Exception as exc:
                bench.check(
                    f"{step.__name__} ran to the end", False, f"{type(exc).__name__}: {exc}"
                )
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        bench.check("set-up", False, error)
    finally:
        bench.stop_all()
        try:
            pg(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)", db="postgres")
            redis_client(opts.redis_url).flushdb()
        except Exception as exc:
            print(f"clean-up failed: {exc}", file=sys.stderr)
        if not opts.keep_logs:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs kept in {tmp}")
    load_after = os.getloadavg()
    print(
        "\nbench-scale: one clinic on 2 gunicorn (2 workers each), 2 RQ workers, 2 HL7 "
        "listeners, 2 schedulers; PostgreSQL + Redis"
    )
    for name, value in bench.figures:
        print(f"  {name:<48}{value}")
    print()
    for c in bench.checks:
        print(f"  {'PASS' if c.ok else 'FAIL'}  {c.name}")
    failed = sum(not c.ok for c in bench.checks)
    print(
        f"\n{len(bench.checks) - failed} passed, {failed} failed in "
        f"{time.monotonic() - started:.0f} s; load average before {load_before[0]:.2f}, "
        f"after {load_after[0]:.2f} ({os.cpu_count()} CPUs)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
