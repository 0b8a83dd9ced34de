"""`ketaflow audit verify|grant-app-role`: the audit log's hash chains and database roles.

    ketaflow audit verify [--clinic ID ...] [--no-clinic] [--heads]
    ketaflow audit grant-app-role --role NAME [--print]

`verify` walks every hash chain (`ketaflow.audit.chain`; one per clinic, one for the rows
without a clinic), or only those named, and prints the first broken link of each broken
chain: an edited row, a deleted row (a gap), a rewritten or reordered row. Exit status: 0
intact, 1 broken.

`grant-app-role` (PostgreSQL), run with the owner role's DATABASE_URL after `migrate`, gives
the application's role DML on every table but only INSERT and SELECT on the audit table,
also for tables later migrations make (`ketaflow.audit.roles`); `--print` prints the SQL
instead of running it. See docs/deploying-postgresql.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from ketaflow.audit.chain import verify_chain
from ketaflow.audit.roles import grant_statements

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
        grant = sub.add_parser(
            "grant-app-role", help="PostgreSQL: the application role's privileges (as owner)."
        )
        grant.add_argument("--role", required=True, help="The application's role.")
        grant.add_argument("--print", action="store_true", help="Print the SQL, run nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "grant-app-role":
            self._grant(options["role"], dry=options["print"])
            return
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

    def _grant(self, role: str, *, dry: bool) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grant-app-role is for PostgreSQL (DATABASE_URL=postgres://…).")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_schema(), current_user")
            database, schema, owner = cursor.fetchone()
        if role == owner:
            raise CommandError("Run this as the owner role, for another (application) role.")
        statements = grant_statements(role, database=database, schema=schema)
        if dry:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        self.stdout.write(
            f"{role} may now read and write {database}.{schema} as {owner} allows, "
            "and only add to and read the audit log."
        )
