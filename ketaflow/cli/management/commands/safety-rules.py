"""`ketaflow safety-rules`: the safety-rules page, generated from the clinical core.

Prints the page (Markdown) or writes it with --output; `--check` exits 1 when the file on disk
differs from what the core says now, so a stale page is caught without writing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaflow.clinical.safety_rules import render_markdown


class Command(BaseCommand):
    help = "Print (or write with --output) the page of every hard and soft limit in the core."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="write the page to this file")
        parser.add_argument(
            "--check", action="store_true", help="with --output: exit 1 if the file is stale"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        page = render_markdown()
        output: Path | None = options["output"]
        if output is None:
            if options["check"]:
                raise CommandError("--check needs --output", returncode=2)
            self.stdout.write(page, ending="")
            return
        if options["check"]:
            current = output.read_text(encoding="utf-8") if output.exists() else ""
            if current != page:
                raise CommandError(
                    f"{output} is out of date: run `ketaflow safety-rules --output {output}`",
                    returncode=1,
                )
            return
        output.write_text(page, encoding="utf-8")
        self.stdout.write(f"wrote {output}")
