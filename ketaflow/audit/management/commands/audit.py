"""`ketaflow audit verify`: check the audit log's hash chains (`ketaflow.audit.chain`).

    ketaflow audit verify [--clinic ID ...] [--no-clinic]

Walks every chain (one per clinic, one for the rows without a clinic), or only those named,
and prints each chain's head, or the first broken link of each broken chain: an edited row, a
deleted row (a gap), a rewritten or reordered row. Exit status: 0 intact, 1 broken.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ketaflow.audit.chain import verify_chain

BROKEN = 1


class Command(BaseCommand):
    help = "Check the audit log's hash chains: exit status 1 names the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Walk the hash chains of the audit log.")
        verify.add_argument(
            "--clinic", type=int, action="append", metavar="ID", help="Only this clinic's chain."
        )
        verify.add_argument(
            "--no-clinic", action="store_true", help="Only the chain of rows without a clinic."
        )
        verify.add_argument("--heads", action="store_true", help="Print each chain's head.")

    def handle(self, *args: Any, **options: Any) -> None:
        chains: list[int] | None = list(options["clinic"] or [])
        if options["no_clinic"]:
            chains = [*(chains or []), 0]
        report = verify_chain(chains=chains or None)
        if options["heads"]:
            for head in report.heads:
                self.stdout.write(f"chain {head.chain}: #{head.seq} {head.row_hash}")
        if not report.ok:
            self.stderr.write(report.summary())
            raise CommandError("the audit log's hash chain is broken", returncode=BROKEN)
        self.stdout.write(report.summary())
