"""Benchmark: the outcomes dashboard over a large synthetic clinic on PostgreSQL.

    python bench/bench_outcomes.py   # 100,000 patients, ~1M sessions, ~3M responses
    python bench/bench_outcomes.py --patients 10000 --sessions 100000 --responses 300000

Steps (each timed): create the database `ketaflow_bench_outcomes` (or `--db`) if missing and
migrate it; generate and bulk-write the synthetic clinic with the same writer as
`ketaflow synth` (COPY) unless a clinic of exactly these parameters is already there (then it
is reused, so a second run only times the dashboard); rebuild the per-course outcome summary
table; time `dashboard_data(clinic_id, filters, deidentified)` cold and warm for a few filter
combinations; report the database and table sizes; write the figures under the heading
"Outcomes dashboard" in docs/benchmarks.md (other sections are left untouched).

"Cold" here is: a new database connection after `DISCARD ALL`, with the operating system's
page cache dropped first (`echo 3 > /proc/sys/vm/drop_caches`, if permitted; the report says
whether it was). PostgreSQL itself is not restarted, because the server is shared with other
work: its own buffer cache (shared_buffers) may still hold pages, and the report says so.

The per-patient session and response counts are calibrated on a small sample first, so the
totals land near `--sessions` and `--responses` (the archetypes make some courses short:
non-responders stop at the review point, dropouts after a few sessions).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Outcomes dashboard"


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--patients", type=int, default=100_000)
    p.add_argument("--sessions", type=int, default=1_000_000, help="target total sessions")
    p.add_argument("--responses", type=int, default=3_000_000, help="target total responses")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--db", default="ketaflow_bench_outcomes")
    p.add_argument("--host", default=os.environ.get("PGHOST", "127.0.0.1"))
    p.add_argument("--port", default=os.environ.get("PGPORT", "5432"))
    p.add_argument("--user", default=os.environ.get("PGUSER", "postgres"))
    p.add_argument("--warm-runs", type=int, default=5)
    p.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    p.add_argument(
        "--restart-postgres",
        action="store_true",
        help="restart the local PostgreSQL cluster before each cold run, so its buffer cache is "
        "empty too (only on a machine where nothing else uses that server)",
    )
    return p.parse_args()


def _ensure_database(a: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(
        host=a.host, port=a.port, user=a.user, dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (a.db,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{a.db}"')
            print(f"created database {a.db}")


def _calibrate(
    patients: int, sessions: int, responses: int, seed: int, today: date
) -> tuple[int, int]:
    """Per-patient maxima whose averages over a sample give the requested totals."""
    from ketaflow.synthetic.generator import SynthConfig, generate

    sample = min(patients, 400)

    def averages(spp: int, rpp: int) -> tuple[float, float]:
        config = SynthConfig(
            seed=seed,
            patients=sample,
            today=today,
            sessions_per_patient=spp,
            responses_per_patient=rpp,
        )
        ps = list(generate(config))
        n_sessions = sum(len(p.course.sessions) for p in ps)
        return n_sessions / sample, sum(len(p.responses) for p in ps) / sample

    want_s, want_r = sessions / patients, responses / patients
    spp = max(1, round(want_s))
    while averages(spp, 1)[0] < want_s and spp < 4 * want_s:
        spp += 1
    rpp = max(1, round(want_r))
    while averages(spp, rpp)[1] < want_r and rpp < 4 * want_r:
        rpp += 1
    return spp, rpp


def _drop_os_cache() -> str:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "dropped (sync; echo 3 > /proc/sys/vm/drop_caches)"
    except OSError as exc:
        return f"not permitted ({exc.__class__.__name__}: {exc.strerror or exc})"


def _restart_postgres() -> str:
    """Restart the local cluster (empties shared_buffers); wait until it accepts connections."""
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
    )
    for _ in range(60):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            break
        time.sleep(0.5)
    return "PostgreSQL restarted before each cold run (empty buffer cache)"


def _dashboard() -> Any:
    try:
        from ketaflow.outcomes.selectors import dashboard_data  # the contract
    except ImportError:
        from ketaflow.outcomes.dashboard import dashboard_data  # where it lives today
    return dashboard_data


def _filters() -> list[tuple[str, Any]]:
    from ketaflow.outcomes.dashboard import DashboardFilters

    return [
        ("all courses", DashboardFilters()),
        ("route IV", DashboardFilters(route="iv")),
        ("protocol SC (anxiety)", DashboardFilters(protocol_code="sc-racemic-anxiety")),
        ("diagnosis F41 + esketamine", DashboardFilters(diagnosis_group="F41", route="intranasal")),
        (
            "started in the last 6 months",
            DashboardFilters(started_from=date.fromordinal(date.today().toordinal() - 182)),
        ),
    ]


def main() -> None:
    a = _args()
    os.environ["DATABASE_URL"] = f"postgres://{a.user}@{a.host}:{a.port}/{a.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.settings")
    _ensure_database(a)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from ketaflow.patients.models import Patient
    from ketaflow.synthetic.load import load, rebuild_outcomes
    from ketaflow.synthetic.writer import synthetic_clinic

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - t:.1f} s")
    today = timezone.localdate()
    name = f"Synthetic bench N={a.patients} S={a.sessions} R={a.responses} seed {a.seed}"
    clinic = synthetic_clinic(name)
    have = Patient.objects.filter(clinic=clinic).count()
    figures: dict[str, Any] = {"patients_requested": a.patients}
    if have == a.patients:
        print(f"reusing {clinic.name!r}: {have} patients already there")
        figures["generation"] = _previous_generation() or "reused (already populated)"
    elif have:
        raise SystemExit(
            f"{clinic.name!r} is partly populated ({have} patients): drop the database "
            f"{a.db} and run again."
        )
    else:
        t = time.perf_counter()
        spp, rpp = _calibrate(a.patients, a.sessions, a.responses, a.seed, today)
        print(
            f"calibrated: up to {spp} sessions and {rpp} responses per patient "
            f"({time.perf_counter() - t:.1f} s)"
        )
        result = load(
            clinic,
            skip_fk_checks=True,
            patients=a.patients,
            seed=a.seed,
            today=today,
            sessions_per_patient=spp,
            responses_per_patient=rpp,
            progress=lambda k: print(f"  … {k} patients", flush=True),
            outcomes=False,
        )
        s = result.stats
        figures["generation"] = (
            f"{s.total_seconds:.0f} s in all: generating rows {s.generate_seconds:.0f} s, "
            f"COPY {s.write_seconds:.0f} s (up to {spp} sessions and {rpp} responses per patient)"
        )
        figures["counts"] = s.counts
        print(figures["generation"])
    with connection.cursor() as c:
        c.execute("ANALYZE")
    t = time.perf_counter()
    rebuilt = rebuild_outcomes(clinic.pk)
    figures["rebuild"] = f"{time.perf_counter() - t:.1f} s ({rebuilt})"
    print(f"rebuild_course_outcomes: {figures['rebuild']}")
    with connection.cursor() as c:
        c.execute("ANALYZE outcomes_courseoutcome")
    figures["counts_now"] = _counts(clinic.pk)
    figures["sizes"] = _sizes()
    dashboard_data = _dashboard()
    # The web process imports SciPy at start-up (ketaflow/wsgi.py); do the same here so a
    # cold run measures the database and the statistics, not a one-off module import.
    import scipy.stats  # noqa: F401

    rows = []
    restarted = ""
    for label, f in _filters():
        connection.close()
        if a.restart_postgres:
            restarted = _restart_postgres()
        cache = _drop_os_cache()
        with connection.cursor() as c:
            c.execute("DISCARD ALL")
        t = time.perf_counter()
        data = dashboard_data(clinic.pk, f, True)
        cold = (time.perf_counter() - t) * 1000
        warm = []
        for _ in range(a.warm_runs):
            t = time.perf_counter()
            dashboard_data(clinic.pk, f, True)
            warm.append((time.perf_counter() - t) * 1000)
        courses = getattr(getattr(data, "totals", None), "courses", None) or getattr(
            data, "courses", "?"
        )
        rows.append((label, courses, cold, statistics.median(warm), max(warm)))
        print(
            f"{label:32} courses={courses!s:>8} cold {cold:8.1f} ms  "
            f"warm median {statistics.median(warm):7.1f} ms"
        )
    figures["cache"] = cache + (f"; {restarted}" if restarted else "")
    figures["load"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    figures["rows"] = rows
    with connection.cursor() as c:
        c.execute("SHOW shared_buffers")
        figures["shared_buffers"] = c.fetchone()[0]
        c.execute("SELECT version()")
        figures["pg"] = c.fetchone()[0].split(",")[0]
    if not a.no_docs:
        _write_docs(a, figures)
        print(f"wrote {DOCS.relative_to(ROOT)} ({HEADING})")


def _counts(clinic_id: int) -> dict[str, int]:
    from django.db import connection

    queries = {
        "patients": "SELECT count(*) FROM patients_patient WHERE clinic_id = %s",
        "courses": "SELECT count(*) FROM courses_course c JOIN patients_patient p "
        "ON p.id = c.patient_id WHERE p.clinic_id = %s",
        "sessions": "SELECT count(*) FROM treatments_treatmentsession WHERE clinic_id = %s",
        "questionnaire responses": "SELECT count(*) FROM questionnaires_instrumentresponse r "
        "JOIN patients_patient p ON p.id = r.patient_id WHERE p.clinic_id = %s",
        "course outcome rows": "SELECT count(*) FROM outcomes_courseoutcome WHERE clinic_id = %s",
    }
    out = {}
    with connection.cursor() as c:
        for label, sql in queries.items():
            c.execute(sql, [clinic_id])
            out[label] = int(c.fetchone()[0])
    return out


def _sizes() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db = c.fetchone()[0]
        c.execute(
            """SELECT relname, pg_size_pretty(pg_total_relation_size(oid)), n_live_tup
               FROM pg_class JOIN pg_stat_user_tables USING (relname)
               WHERE relkind = 'r' ORDER BY pg_total_relation_size(oid) DESC LIMIT 12"""
        )
        tables = c.fetchall()
    return {"database": db, "tables": tables}


def _previous_generation() -> str | None:
    """The generation figure of the run that populated the database (kept when reusing it)."""
    if not DOCS.exists():
        return None
    found = re.search(r"^\| generation \| (.*) \|$", DOCS.read_text(), re.M)
    if found is None or found.group(1).startswith("reused"):
        return None
    suffix = " (measured when the database was populated; reused since)"
    return found.group(1).removesuffix(suffix) + suffix


def _write_docs(a: argparse.Namespace, f: dict[str, Any]) -> None:
    counts = f["counts_now"]
    lines = [
        HEADING + " (`make bench-outcomes`, `bench/bench_outcomes.py`)",
        "",
        f"Run on {date.today():%d %B %Y}, {f['pg']} on this 2-core machine "
        f"(load average {f['load']} when the dashboard was timed), "
        f"shared_buffers {f['shared_buffers']}. Data: one synthetic clinic written by the "
        "`ketaflow synth` writer (COPY).",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v:,} |" for k, v in counts.items()),
        f"| generation | {f['generation']} |",
        f"| `rebuild_course_outcomes(clinic_id=…)` | {f['rebuild']} |",
        f"| database size (`pg_database_size`) | {f['sizes']['database']} |",
        "",
        "`dashboard_data(clinic_id, filters, deidentified=True)`, cold (new connection, "
        f"`DISCARD ALL`, OS page cache {f['cache']}"
        + (
            ""
            if a.restart_postgres
            else "; PostgreSQL not restarted, so its own buffer cache may still hold pages"
        )
        + f"; SciPy imported beforehand, as the web process does at start-up) and warm "
        f"(median and worst of {a.warm_runs}):",
        "",
        "| filters | courses | cold ms | warm median ms | warm max ms |",
        "|---|---:|---:|---:|---:|",
        *(f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.1f} |" for r in f["rows"]),
        "",
        "Largest tables (with indexes):",
        "",
        "| table | size | rows (planner estimate) |",
        "|---|---:|---:|",
        *(f"| {t[0]} | {t[1]} | {t[2]:,} |" for t in f["sizes"]["tables"]),
        "",
    ]
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    section = "\n".join(lines)
    pattern = re.compile(rf"^{re.escape(HEADING)}.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
