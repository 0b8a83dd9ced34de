"""A task for the worker tests: appends a line to a file, so a run is seen from outside."""

from __future__ import annotations

from pathlib import Path

from django_tasks import task


@task
def append_line(path: str, line: str) -> str:
    with Path(path).open("a") as handle:
        handle.write(line + "\n")
    return line.upper()
