"""What the audit log's hash chain costs a write (`ketaflow.audit.chain`), in one run.

    make bench-audit-chain    # or: .venv/bin/python bench/bench_audit_chain.py [--sqlite]

PostgreSQL (default; BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/ketaflow_bench_audit): a fresh database, migrated, one
clinic and one user; then 2,000 audited writes with the chain trigger enabled and 2,000 with
it disabled (`ALTER TABLE … DISABLE TRIGGER audit_accessevent_chain`), alternating in rounds
so that both see the same machine:

- one event per transaction (`record_event` in autocommit, as a page view writes its event);
- one event per call, all in one transaction (the trigger's own work, without the commit's
  disk flush, which dominates the first);
- batches of 100 (`record_events`, as the HL7 listener writes a batch).

`--sqlite`: the same in a temporary SQLite file, the chain linked by `chain.link` or not.
Then `verify_chain` over every row written. Prints µs per write for each and the difference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ketaflow_bench_audit"
WRITES, ROUNDS, BATCH = 2000, 4, 100


def _db_admin(url: str, sql: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.format(name=name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    tmp = tempfile.TemporaryDirectory()
    if args.sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    else:
        _db_admin(url, "DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _db_admin(url, "CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    try:
        run()
    finally:
        connection.close()
        if not args.sqlite:
            _db_admin(url, "DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        tmp.cleanup()


def run() -> None:
    from contextlib import contextmanager

    from django.db import connection as conn
    from django.db import transaction

    from ketaflow.accounts.models import Clinic, User
    from ketaflow.audit import chain, services
    from ketaflow.audit.services import Event, record_event, record_events

    clinic = Clinic.objects.create(name="Bench", slug="bench", timezone="Europe/London")
    user = User.objects.create(username="bench.nurse", role="nurse", clinic=clinic)
    pg = conn.vendor == "postgresql"
    linked = services._chained

    @contextmanager
    def unlinked(rows: list[object]):  # type: ignore[no-untyped-def]
        yield

    def chain_on(on: bool) -> None:
        if pg:
            verb = "ENABLE" if on else "DISABLE"
            with conn.cursor() as cursor:
                cursor.execute(
                    f"ALTER TABLE audit_accessevent {verb} TRIGGER audit_accessevent_chain"
                )
        else:
            services._chained = linked if on else unlinked  # type: ignore[assignment]

    def singles(n: int) -> None:
        for i in range(n):
            record_event(actor=user, action="view", detail={"part": "chart", "i": i})

    def batches(n: int) -> None:
        for start in range(0, n, BATCH):
            record_events(
                Event(user, "create", detail={"what": "hl7_message", "i": i})
                for i in range(start, min(start + BATCH, n))
            )

    def in_one_transaction(n: int) -> None:
        with transaction.atomic():
            singles(n)

    jobs = {
        "one event per transaction": singles,
        "one event per call, 1 tx": in_one_transaction,
        "batches of 100": batches,
    }
    results: dict[tuple[str, bool], list[float]] = {}
    per_round = WRITES // ROUNDS
    for name, job in jobs.items():
        for _round in range(ROUNDS):
            for on in (True, False) if _round % 2 == 0 else (False, True):
                chain_on(on)
                started = time.perf_counter()
                job(per_round)
                elapsed = time.perf_counter() - started
                results.setdefault((name, on), []).append(elapsed)
        chain_on(True)
    print(f"{conn.vendor}: {WRITES} audited writes each way, in {ROUNDS} alternating rounds")
    for name in jobs:
        with_chain = sum(results[(name, True)]) / WRITES * 1e6
        without = sum(results[(name, False)]) / WRITES * 1e6
        spread = statistics.pstdev(results[(name, True)]) / per_round * 1e6
        print(
            f"  {name:28s} with chain {with_chain:7.1f} µs/write (±{spread:.1f}), "
            f"without {without:7.1f} µs/write: +{with_chain - without:.1f} µs "
            f"({(with_chain / without - 1) * 100:+.0f}%)"
        )
    # The rows written while the chain was off have no place; link them to verify them all.
    if pg:
        with conn.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_accessevent DISABLE TRIGGER USER")
            chain.rechain(_model())
            cursor.execute("ALTER TABLE audit_accessevent ENABLE TRIGGER USER")
    else:
        with conn.cursor() as cursor:
            cursor.execute("DROP TRIGGER audit_accessevent_no_update")
        chain.rechain(_model())
    started = time.perf_counter()
    report = chain.verify_chain()
    elapsed = time.perf_counter() - started
    print(
        f"  verify_chain: {report.rows} rows in {elapsed:.2f} s "
        f"({elapsed / report.rows * 1e6:.1f} µs/row), ok={report.ok}"
    )


def _model() -> type:
    from ketaflow.audit.models import AccessEvent

    return AccessEvent


if __name__ == "__main__":
    main()
