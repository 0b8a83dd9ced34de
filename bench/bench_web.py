"""Web benchmark: the pages a nurse keeps open, under 50 connections, beside a bare Django view.

    make bench-web            # or: .venv/bin/python bench/bench_web.py [--db sqlite --seconds 10]

What it does, for each database (SQLite file and PostgreSQL by default):
1. creates a fresh database, migrates it and seeds the synthetic demo clinic
   (`ketaflow seed-demo`, the same command `make demo` runs);
2. starts Ketaflow under gunicorn with 2 workers (as the README's production section runs it,
   DEBUG off) and, on another port, the baseline: a bare Django project with one view making
   one query on the same database (`bench/web_bare.py`), also gunicorn with 2 workers;
3. signs in as the demo nurse through the real sign-in form and takes the session cookie;
4. drives each URL with wrk (50 connections, 2 threads) for N seconds: the bare view, the chair
   board, the patient list, an infusion session page and a patient search through the API;
   every page is first fetched once and must answer 200 (not a redirect to sign-in);
5. drives the chair board once more while another process writes to the database once a
   second (each write ends the pages' memoised drawings, `ops.freshness`): for information,
   not part of the goal;
6. prints requests/s, p50 and p99 latency, non-2xx/3xx responses and socket errors per URL,
   each page's requests/s as a share of the bare view's, the issue's goal (>= 10% of the bare
   view, p99 < 250 ms, no errors) met or not, and the machine's load; drops its databases.

wrk is a C load generator (Debian package `wrk`; `make bench-web` installs it when missing and
run as root). It runs on the same 2 cores as the servers, for the baseline as for the pages,
so the ratios are what to compare across machines, not the absolute figures.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PG_URL = "postgres://postgres@127.0.0.1:5432/ketaflow_bench_web"
GOAL_SHARE, GOAL_P99_MS = 0.10, 250.0


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx/3xx responses plus socket errors

    def meets_goal(self, bare: Result) -> bool:
        return self.rps >= GOAL_SHARE * bare.rps and self.p99_ms < GOAL_P99_MS and not self.bad


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(text: str) -> float:
    value = float(re.sub(r"[a-z]+$", "", text))
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[re.sub(r"[\d.]+", "", text)]


def parse_wrk(name: str, out: str) -> Result:
    """Read wrk's `--latency` report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = 0
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        bad += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        bad += sum(int(g) for g in m.groups())
    return Result(name, rps, p50, p99, requests, bad)


def run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def prepare_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    import psycopg

    base, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return PG_URL


def drop_database(kind: str) -> None:
    if kind != "postgres":
        return
    import psycopg

    base, name = PG_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_gunicorn(
    app: str, port: int, env: dict[str, str], *extra: str
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", "--workers", "2", *extra],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"gunicorn for {app} did not start on port {port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def sign_in(base: str, username: str, password: str) -> str:
    """The real sign-in form; returns the Cookie header of the signed-in session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    landed = opener.open(request)
    if "/accounts/login/" in landed.geturl():
        raise SystemExit("sign-in failed")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def fetch_ok(url: str, cookie: str) -> None:
    """A page must answer 200 itself, not a redirect (e.g. to the sign-in page)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    response = opener.open(urllib.request.Request(url, headers={"Cookie": cookie}))
    if response.status != 200:
        raise SystemExit(f"{url} answered {response.status}")


def wrk(name: str, url: str, cookie: str | None, seconds: int, connections: int) -> Result:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if os.environ.get("BENCH_VERBOSE"):
        print(out)
    return parse_wrk(name, out)


#: The row measured while another process writes once a second (not part of the goal).
WRITING = "board, 1 write/s"

#: A write every second in a process of its own, as a monitor's listener or another nurse
#: would make: one committed UPDATE of a clinic row (a write like any other to the change
#: stamp, `ops.freshness`).
_WRITER = (
    "import time, django; django.setup()\n"
    "from django.db.models import F\n"
    "from ketaflow.accounts.models import Clinic\n"
    "while True:\n"
    "    Clinic.objects.filter(slug='demo').update(name=F('name'))\n"
    "    time.sleep(1)\n"
)


def start_writer(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN / "python"), "-c", _WRITER], env=env, cwd=ROOT, start_new_session=True
    )


def demo_targets(env: dict[str, str]) -> tuple[dict[str, str], str]:
    """Paths of the pages to measure, read from the seeded demo database, and the password."""
    script = (
        "import django; django.setup()\n"
        "from ketaflow.demo.clinic import DEMO_PASSWORD\n"
        "from ketaflow.treatments.models import TreatmentSession\n"
        "s = TreatmentSession.objects.filter(clinic__slug='demo').order_by('-pk').first()\n"
        "print(s.pk, DEMO_PASSWORD)\n"
    )
    out = subprocess.run(
        [str(BIN / "python"), "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    session_pk, password = out.strip().splitlines()[-1].split()
    pages = {
        "chair board": "/treatments/board/",
        "patient list": "/patients/",
        "session page": f"/treatments/{session_pk}/",
        "patient search API": "/api/v1/patients?q=do",
    }
    return pages, password


def bench(kind: str, seconds: int, connections: int) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="ketaflow-bench-web-") as tmp:
        workdir = Path(tmp)
        url = prepare_database(kind, workdir)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "ketaflow.settings",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "ERROR",
        }
        procs: list[subprocess.Popen[bytes]] = []
        try:
            print(f"[{kind}] migrating and seeding the demo clinic …", flush=True)
            run([str(BIN / "ketaflow"), "migrate", "--no-input", "-v0"], env)
            run([str(BIN / "ketaflow"), "seed-demo"], env)
            run([str(BIN / "ketaflow"), "collectstatic", "--no-input", "-v0"], env)
            targets, password = demo_targets(env)

            app_port, bare_port = free_port(), free_port()
            procs.append(start_gunicorn("ketaflow.wsgi", app_port, env))
            bare_env = {**env, "DJANGO_SETTINGS_MODULE": "web_bare"}
            procs.append(
                start_gunicorn(
                    "django.core.wsgi:get_wsgi_application()",
                    bare_port,
                    bare_env,
                    "--pythonpath",
                    str(ROOT / "bench"),
                )
            )
            base = f"http://127.0.0.1:{app_port}"
            cookie = sign_in(base, "nurse", password)
            bare_url = f"http://127.0.0.1:{bare_port}/bare/"
            fetch_ok(bare_url, "")
            for path in targets.values():
                fetch_ok(base + path, cookie)
            results = [wrk("bare Django, one query", bare_url, None, seconds, connections)]
            for name, path in targets.items():
                print(f"[{kind}] {name} …", flush=True)
                results.append(wrk(name, base + path, cookie, seconds, connections))
                # wrk leaves requests queued at the server when it stops; one more fetch waits
                # behind them, so the next URL starts on an idle server.
                fetch_ok(base + path, cookie)
            # The same board while the clinic writes (a nurse charting, a monitor's message):
            # each write ends every memoised drawing, so readers redraw after each one.
            print(f"[{kind}] chair board, a write every second …", flush=True)
            writer = start_writer(env)
            try:
                board = base + targets["chair board"]
                results.append(wrk(WRITING, board, cookie, seconds, connections))
            finally:
                writer.kill()
                writer.wait()
            fetch_ok(board, cookie)
            return results
        finally:
            for proc in procs:
                stop(proc)
            drop_database(kind)


def report(kind: str, results: list[Result], connections: int) -> None:
    bare = results[0]
    print(f"\n{kind}: {connections} connections, gunicorn 2 workers, wrk 2 threads")
    print(f"{'url':<24}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'share':>8}  goal")
    for r in results:
        share = r.rps / bare.rps if bare.rps else 0.0
        if r is bare:
            goal = ""
        elif r.name == WRITING:
            goal = "(for information)"
        else:
            goal = "met" if r.meets_goal(bare) else "NOT met"
        figures = f"{r.rps:>9.0f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}{r.bad:>8}{share:>8.1%}"
        print(f"{r.name:<24}{figures}  {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (or run `make bench-web`)")
    sys.path.insert(0, str(ROOT))
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    load_before = os.getloadavg()
    all_results = {kind: bench(kind, args.seconds, args.connections) for kind in kinds}
    for kind, results in all_results.items():
        report(kind, results, args.connections)
    load_after = os.getloadavg()
    print(
        f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"({os.cpu_count()} CPUs); goal: each page >= {GOAL_SHARE:.0%} of the bare view's "
        f"requests/s, p99 < {GOAL_P99_MS:.0f} ms, no errors"
    )


if __name__ == "__main__":
    main()
