"""`ketaflow restore --input FILE`: load a backup into an empty database, then verify it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaflow.backup.services import BackupRefused, RestoreFailed, check, restore


class Command(BaseCommand):
    help = (
        "Restore a `ketaflow backup` file into the configured database, which must be new and "
        "empty (no tables), then verify row counts, migrations and the audit log against the "
        "backup's manifest. --verify-only checks the file without touching any database."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, type=Path, help="The backup file")
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="Only check the file (readable, unaltered, agreeing with its manifest)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["input"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        try:
            if options["verify_only"]:
                outcome = check(path)
                heading = f"Backup checked, not restored: {path}"
            else:
                outcome = restore(path)
                heading = f"Restored and verified: {path}"
        except BackupRefused as refused:
            raise CommandError(f"Refused: {refused}", returncode=2) from None
        except RestoreFailed as failed:
            raise CommandError(
                f"Restored, but the database does not match the backup: {failed}", returncode=1
            ) from None
        self.stdout.write(self.style.SUCCESS(heading))
        for line in outcome.summary():
            self.stdout.write(f"  {line}")
