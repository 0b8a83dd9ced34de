"""`ketaflow backup --output FILE`: the whole database in one file, checked after writing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaflow.backup.services import BackupRefused, backup


class Command(BaseCommand):
    help = (
        "Back up the configured database (SQLite: online backup API; PostgreSQL: pg_dump "
        "custom format) with a manifest of row counts, migrations and the audit log's digest, "
        "then read the file back to check it. The file holds patient data: keep it encrypted "
        "and off this machine."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path, help="The backup file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        if output.is_dir() or not output.parent.is_dir():
            raise CommandError(f"{output}: give a file in an existing folder", returncode=2)
        try:
            outcome = backup(output)
        except BackupRefused as refused:
            raise CommandError(f"Backup failed: {refused}", returncode=1) from None
        self.stdout.write(self.style.SUCCESS(f"Backup written and checked: {output}"))
        for line in outcome.summary():
            self.stdout.write(f"  {line}")
