"""Start-up time of the one-shot commands against a bare Django management command.

Each command runs as a fresh process (what a person or a script pays), N times, the
commands interleaved round-robin so a change in the machine's load hits them alike. The
baseline is `ketaflow version`: Django's ManagementUtility runs `django.setup()` (settings,
every app's models and ready()) and prints the version, nothing more, so it is the honest
"bare Django management start" of this project. The goal: the calculators within 1.5x of it.
A benchmark, not a test: run with `make bench-startup` (`--runs N`, default 15).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

KETAFLOW = str(Path(sys.executable).parent / "ketaflow")

COMMANDS: dict[str, list[str]] = {
    "bare: ketaflow version": [KETAFLOW, "version"],
    "ketaflow score gad7": [KETAFLOW, "score", "gad7", "1", "1", "1", "1", "0", "1", "2"],
    "ketaflow dose (iv)": [
        KETAFLOW,
        "dose",
        "--route",
        "iv",
        "--mg-per-kg",
        "0.5",
        "--weight-kg",
        "70",
        "--minutes",
        "40",
        "--concentration-mg-per-ml",
        "1",
    ],
    "ketaflow safety-rules": [KETAFLOW, "safety-rules"],
    "python -c pass (interpreter floor)": [sys.executable, "-c", "pass"],
}
BASELINE = "bare: ketaflow version"


def run_once(argv: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketaflow.settings")

    for argv in COMMANDS.values():  # warm the OS page cache and .pyc files once, not timed
        run_once(argv)
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            times[name].append(run_once(argv))
    load_after = os.getloadavg()

    base = statistics.median(times[BASELINE])
    print(
        f"Start-up, median of {args.runs} fresh processes each (interleaved), "
        f"on {os.cpu_count()} CPUs"
    )
    print(
        f"load average (1, 5, 15 min) before: {load_before[0]:.2f} {load_before[1]:.2f} "
        f"{load_before[2]:.2f}; after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
    )
    print()
    print(f"| {'command':<36} | median s | min s | vs bare |")
    print(f"|{'-' * 38}|----------|-------|---------|")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"| {name:<36} | {median:8.3f} | {min(samples):5.3f} | {median / base:6.2f}x |")


if __name__ == "__main__":
    main()
