"""HL7 v2 MLLP listener benchmark: sustained messages/s and ACK latency, on PostgreSQL.

    make bench-hl7            # or: .venv/bin/python bench/bench_hl7.py [--senders 16 --seconds 20]

What it does, in one run:
1. creates its own PostgreSQL database (BENCH_DATABASE_URL, default
   postgres://postgres@127.0.0.1:5432/ketaflow_bench_hl7), migrates it, and seeds through the
   ORM and the apps' services a clinic, staff, a patient with a course and a checked-in
   (active) treatment session, and a monitor binding for its chair;
2. starts `ketaflow hl7-listen` for that clinic as a subprocess (as in production) and a bare
   python-hl7 echo server (`hl7.mllp.start_hl7_server`, replying `message.create_ack()`, no
   database) as another subprocess;
3. drives each with N concurrent senders over loopback, each behaving like a monitor: send one
   GE B40-shaped ORU^R01 (unique MSH-10), wait for its ACK, send the next; every ACK is checked
   (AA and the right MSA-2) and every message must be stored exactly once afterwards.
   `--pipeline K` (default 1 = strict request/response, what monitors do) lets each sender keep
   up to K messages in flight on its connection (a gateway or central station forwarding a
   backlog); latency is still measured per message, from its send to its ACK;
4. prints messages/s, p50/p99/max ACK latency for both and the ratio, the load average, and
   where the CPU went (the server process, its PostgreSQL backends, the load generator, and the
   whole machine), so that a saturated load generator or a busy machine shows; drops its
   database.

The listener acknowledges each message only after the transaction holding it committed (group
commit: one commit per batch of messages that arrived while the previous batch committed).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ketaflow_bench_hl7"
START, END = b"\x0b", b"\x1c\r"


def _db_admin(url: str, sql: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.format(name=name))


def setup_database(url: str) -> str:
    """Fresh database, migrated and seeded; returns the clinic's slug."""
    _db_admin(url, "DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _db_admin(url, "CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return seed()


def seed() -> str:
    from datetime import date, timedelta

    from django.utils import timezone

    from ketaflow.accounts.models import Clinic, User
    from ketaflow.courses.models import Appointment
    from ketaflow.courses.services import add_chair, adopt_builtin_protocols, start_course
    from ketaflow.devices.configuration import bind_chair
    from ketaflow.patients.models import Patient
    from ketaflow.treatments.services import check_in

    clinic = Clinic.objects.create(name="Bench Clinic", slug="bench", timezone="Europe/London")

    def user(name: str, role: str) -> User:
        u = User(username=name, role=role, clinic=clinic)
        u.set_unusable_password()
        u.save()
        return u

    admin, prescriber, nurse = (
        user("admin", "clinic_admin"),
        user("prescriber", "prescriber"),
        user("nurse", "nurse"),
    )
    patient = Patient.objects.create(
        clinic=clinic,
        mrn="KF-000001",
        given_name="Bench",
        family_name="Patient",
        date_of_birth=date(1980, 1, 1),
        sex_at_birth="female",
        created_by=admin,
    )
    protocols = {p.code: p for p in adopt_builtin_protocols(prescriber)}
    chair = add_chair(admin, name="Chair 1")
    course = start_course(prescriber, patient, protocols["iv-racemic"], started_on=date.today())
    start = timezone.now() - timedelta(minutes=30)
    appointment = Appointment.objects.create(
        course=course,
        chair=chair,
        starts_at=start,
        ends_at=start + timedelta(minutes=130),
        session_number=1,
        phase="induction",
        created_by=prescriber,
    )
    check_in(nurse, appointment)
    bind_chair(admin, chair.pk, "V2")
    return clinic.slug


def message(ctrl: str) -> bytes:
    from datetime import UTC, datetime

    t = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + "+0000"
    segments = [
        f"MSH|^~\\&|VSP^080019FFFE134535^EUI-64|GE Healthcare|||{t}||ORU^R01^ORU_R01|{ctrl}|P|2.6"
        "|||NE|AL||UNICODE UTF-8|||PCD_DEC_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        "PID|||KF-000001^^^PID^MR||PATIENT^BENCH^^^^^L",
        "PV1||R|SURGERY^^V2",
        f"OBR|1|{ctrl}^VSP^080019FFFE134535^EUI-64||182777000^monitoring of patient^SCT|||{t}",
        "OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X",
        "OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC|1.5.1.1|72|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R",
        "OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.13.1.1|124|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|4|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.13.1.2|80|266016^MDC_DIM_MMHG^MDC|||||R",
        "OBX|5|NM|151562^MDC_RESP_RATE^MDC|1.20.1.1|14|264928^MDC_DIM_RESP_PER_MIN^MDC|||||R",
        "OBX|6|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.3.1.1|98|262688^MDC_DIM_PERCENT^MDC|||||R",
    ]
    return START + ("\r".join(segments) + "\r").encode() + END


def start_process(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, int(line.split()[2].rsplit(":", 1)[1])


def check_ack(block: bytes, ctrl: str) -> None:
    text = block.decode("utf-8", "replace")
    msa = next(s for s in text.split("\r") if s.startswith("MSA")).split("|")
    if msa[1] != "AA" or msa[2] != ctrl:
        raise SystemExit(f"bad ACK for {ctrl}: {msa}")


async def sender(
    port: int,
    prefix: str,
    deadline: float,
    latencies: list[float],
    sent: list[str],
    pipeline: int = 1,
) -> None:
    """One monitor: up to `pipeline` messages in flight (1: send, wait for the ACK, repeat)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    in_flight: collections.deque[tuple[str, float]] = collections.deque()
    n = 0
    while True:
        while len(in_flight) < pipeline and time.perf_counter() < deadline:
            ctrl = f"{prefix}-{n}"
            data = message(ctrl)
            in_flight.append((ctrl, time.perf_counter()))
            writer.write(data)
            n += 1
        if not in_flight:
            break
        await writer.drain()
        block = await reader.readuntil(END)
        ctrl, t0 = in_flight.popleft()
        latencies.append(time.perf_counter() - t0)
        check_ack(block, ctrl)
        sent.append(ctrl)
    writer.close()
    await writer.wait_closed()


async def drive(
    port: int, senders: int, seconds: float, tag: str, pipeline: int = 1
) -> dict[str, float]:
    # Warm-up (connections, caches), not measured.
    await asyncio.gather(
        *(
            sender(port, f"{tag}W{i}", time.perf_counter() + 1.0, [], [], pipeline)
            for i in range(senders)
        )
    )
    latencies: list[float] = []
    sent: list[str] = []
    t0 = time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(
        *(sender(port, f"{tag}{i}", deadline, latencies, sent, pipeline) for i in range(senders))
    )
    elapsed = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100)
    return {
        "messages": len(sent),
        "rate": len(sent) / elapsed,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "max_ms": max(latencies) * 1000,
        "seconds": elapsed,
    }


# ---------------------------------------------------------------------------- CPU accounting

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (Linux /proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / TICK, sum(values) / TICK


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends connected to the bench database, and the WAL writer."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s OR backend_type = 'walwriter'",
            (name,),
        ).fetchall()
    return [int(r[0]) for r in rows]


def measured(
    port: int, server_pid: int, url: str, opts: argparse.Namespace, tag: str
) -> dict[str, float]:
    """`drive` one server, with the CPU each party used during the measured run."""
    asyncio.run(drive(port, opts.senders, 0.5, f"{tag}X", opts.pipeline))  # connect backends
    pids = backend_pids(url)
    before = (
        process_cpu(server_pid),
        sum(process_cpu(p) for p in pids),
        time.process_time(),
        machine_cpu(),
    )
    result = asyncio.run(drive(port, opts.senders, opts.seconds, tag, opts.pipeline))
    after = (
        process_cpu(server_pid),
        sum(process_cpu(p) for p in pids),
        time.process_time(),
        machine_cpu(),
    )
    n = result["messages"]
    (busy0, total0), (busy1, total1) = before[3], after[3]
    result.update(
        server_ms=1000 * (after[0] - before[0]) / n,
        postgres_ms=1000 * (after[1] - before[1]) / n,
        client_ms=1000 * (after[2] - before[2]) / n,
        machine_busy=(busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0,
    )
    return result


ECHO = """
import asyncio, sys, hl7
from hl7.mllp import start_hl7_server

async def handle(reader, writer):
    try:
        while not writer.is_closing():
            msg = await reader.readmessage()
            writer.writemessage(msg.create_ack())
            await writer.drain()
    except asyncio.IncompleteReadError:
        writer.close()

async def main():
    server = await start_hl7_server(handle, "127.0.0.1", 0)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--db-workers", type=int, default=1)
    parser.add_argument(
        "--pipeline",
        type=int,
        default=1,
        help="messages in flight per sender (1 = send, wait for the ACK, repeat)",
    )
    parser.add_argument("--keep-db", action="store_true")
    opts = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    slug = setup_database(url)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    py = sys.executable
    listener, lport = start_process(
        [
            py,
            "-m",
            "ketaflow.manage",
            "hl7-listen",
            "--clinic",
            slug,
            "--port",
            "0",
            "--batch",
            str(opts.batch),
            "--db-workers",
            str(opts.db_workers),
            "--verbosity",
            "0",
        ],
        env,
    )
    echo, eport = start_process([py, "-c", ECHO], env)
    load_before = os.getloadavg()
    try:
        echo_result = measured(eport, echo.pid, url, opts, "E")
        result = measured(lport, listener.pid, url, opts, "L")
    finally:
        for proc in (listener, echo):
            proc.terminate()
            proc.wait(60)

    from ketaflow.devices.models import DeviceReading, InboundMessage

    # The measured run's control ids are L<sender>-<n>; warm-ups are LW… and LX….
    stored = InboundMessage.objects.filter(control_id__regex=r"^L[0-9]")
    load_after = os.getloadavg()
    count = stored.count()
    readings = DeviceReading.objects.filter(message__in=stored).count()
    assert count == result["messages"] == readings, (count, result["messages"], readings)

    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = cpu
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SHOW server_version")
        pg = c.fetchone()[0]
    print(
        f"machine: {model}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"PostgreSQL {pg}"
    )
    mode = (
        "each: send, wait for ACK, repeat"
        if opts.pipeline == 1
        else f"each: up to {opts.pipeline} messages in flight"
    )
    print(f"senders: {opts.senders} ({mode}), {opts.seconds:g} s each")
    print(
        "load average before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
            *load_before, *load_after
        )
    )
    for name, r in (("python-hl7 echo (no DB)", echo_result), ("ketaflow hl7-listen", result)):
        print(
            f"{name:26} {r['messages']:7.0f} msgs  {r['rate']:8.0f} msg/s  "
            f"p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  max {r['max_ms']:7.2f} ms"
        )
        print(
            f"{'':26} CPU per message: server {r['server_ms']:.3f} ms, PostgreSQL "
            f"{r['postgres_ms']:.3f} ms, load generator {r['client_ms']:.3f} ms; machine "
            f"{100 * r['machine_busy']:.0f}% busy"
        )
    print(f"listener / echo throughput: {result['rate'] / echo_result['rate']:.2f}")
    print(f"stored exactly once: {count} messages, {readings} device readings")
    if not opts.keep_db:
        connection.close()
        _db_admin(url, "DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
