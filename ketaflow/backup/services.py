"""Back up the configured database to one file, and restore such a file into an empty one.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot
while the clinic works. PostgreSQL: `pg_dump --format=custom` reads a snapshot exported from
the transaction that measures the manifest's facts, so both describe the same instant; the
password reaches pg_dump and pg_restore through PGPASSWORD, never the command line.

Every backup is checked after writing (re-read, checksum, facts) and every restore after
loading (the facts of `ketaflow.backup.facts`, and migrations against this code's).
"""

from __future__ import annotations

import importlib.metadata
import os
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from ketaflow.backup import archive
from ketaflow.backup.archive import Archive, BackupRefused
from ketaflow.backup.facts import Database, differences, measure, table_names
from ketaflow.ops import freshness


class RestoreFailed(Exception):
    """The database was loaded but does not match the backup (the message says how)."""


@dataclass(frozen=True)
class Outcome:
    """What a backup or restore did, for the command's summary."""

    vendor: str
    facts: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        tables = self.facts.get("tables", {})
        audit = self.facts.get("audit_log", {})
        return [
            f"database: {self.vendor}",
            f"tables: {len(tables)}, rows: {sum(tables.values())}",
            f"migrations: {len(self.facts.get('migrations', []))}",
            f"audit log: {audit.get('rows')} events, last id {audit.get('last_id')}, "
            f"sha256 {str(audit.get('sha256'))[:16]}…",
            *self.notes,
        ]


def _vendor() -> str:
    if connection.vendor not in archive.PAYLOADS:
        raise BackupRefused(f"backing up a {connection.vendor} database is not supported")
    return str(connection.vendor)


def _sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupRefused("the database is in memory: there is no file to restore into")
    return Path(name)


@contextmanager
def _sqlite_file(path: Path, *, read_only: bool = True) -> Iterator[Database]:
    uri = f"{path.resolve().as_uri()}?mode={'ro' if read_only else 'rwc'}"
    db = sqlite3.connect(uri, uri=True)
    try:
        yield Database("sqlite", db.cursor())
    finally:
        db.close()


def _pg_env() -> dict[str, str]:
    """libpq's variables for the configured database; the password among them, not in argv."""
    settings = connection.settings_dict
    _, client_env = connection.client.settings_to_cmd_args_env(settings, [])
    env = {**os.environ, **(client_env or {})}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings.get(key):
            env[variable] = str(settings[key])
    return env


def _run(command: list[str]) -> str:
    try:
        result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupRefused(
            f"{command[0]} not found: install the PostgreSQL client tools (postgresql-client)"
        ) from None
    if result.returncode != 0:
        raise BackupRefused(f"{command[0]} failed: {result.stderr.strip()}")
    return result.stdout


def _pg_dump(payload: Path) -> dict[str, Any]:
    """pg_dump of the snapshot the facts are measured in; returns the facts."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        facts = measure(Database("postgresql", cursor))
        name = str(connection.settings_dict["NAME"])
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={payload}", name])
    return facts


def _check_dump_lists_every_table(payload: Path, facts: dict[str, Any]) -> None:
    listing = _run(["pg_restore", "--list", str(payload)])
    listed = {
        line.split()[-2] for line in listing.splitlines() if " TABLE DATA " in line
    }  # "123; 0 16400 TABLE DATA public name owner"
    missing = sorted(set(facts["tables"]) - listed)
    if missing:
        raise BackupRefused(f"the dump holds no data for {', '.join(missing)}")


def _check_copy(copy: Archive) -> None:
    """The copy itself, before anything is written: readable and agreeing with its manifest."""
    if copy.vendor == "sqlite":
        with _sqlite_file(copy.payload) as db:
            problems = differences(copy.facts, measure(db))
        if problems:
            raise BackupRefused("the copy does not match its manifest: " + "; ".join(problems))
    else:
        _check_dump_lists_every_table(copy.payload, copy.facts)


def backup(output: Path) -> Outcome:
    """Write a backup of the configured database to `output`, then read it back to check it."""
    vendor = _vendor()
    output = output.resolve()
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".ketaflow-backup-") as tmp:
        payload = Path(tmp) / archive.PAYLOADS[vendor]
        if vendor == "sqlite":
            connection.ensure_connection()
            with _sqlite_file(payload, read_only=False) as copy:
                connection.connection.backup(copy.cursor.connection)
                # One self-contained file (no -wal beside it); the app turns WAL back on.
                copy.cursor.execute("PRAGMA journal_mode=DELETE")
                facts = measure(copy)
        else:
            facts = _pg_dump(payload)
        manifest = {
            "vendor": vendor,
            "created_at": timezone.now().isoformat(),
            "ketaflow_version": importlib.metadata.version("ketaflow"),
            "facts": facts,
        }
        archive.write(output, manifest, payload)
    outcome = check(output)
    if outcome.facts != facts:
        raise BackupRefused("the backup read back differs from what was written")
    return outcome


def check(path: Path) -> Outcome:
    """Read a backup and check it whole, without touching any database."""
    with tempfile.TemporaryDirectory(prefix=".ketaflow-restore-") as tmp:
        copy = archive.read(path, Path(tmp))
        _check_copy(copy)
    return Outcome(copy.vendor, copy.facts, [f"made {copy.manifest.get('created_at')}"])


def _target_tables(vendor: str) -> list[str]:
    if vendor == "sqlite":
        path = _sqlite_path()
        if not path.exists():
            return []
        with _sqlite_file(path) as db:
            return table_names(db)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        return [name for (name,) in cursor.fetchall()]


def _target_facts(vendor: str) -> dict[str, Any]:
    if vendor == "sqlite":
        with _sqlite_file(_sqlite_path()) as db:
            return measure(db)
    with connection.cursor() as cursor:
        return measure(Database("postgresql", cursor))


def migration_notes(recorded: list[str]) -> tuple[list[str], list[str]]:
    """(problems, notes): the restored database's migrations against this code's."""
    code = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
    unknown = sorted(set(recorded) - code)
    pending = sorted(code - set(recorded))
    problems = (
        [f"migrations from a newer Ketaflow, unknown to this code: {', '.join(unknown)}"]
        if unknown
        else []
    )
    if pending:
        notes = [f"{len(pending)} migrations newer than the backup: run `ketaflow migrate`"]
    else:
        notes = [f"migrations: the {len(recorded)} recorded equal this code's"]
    return problems, notes


def restore(path: Path) -> Outcome:
    """Load a backup into the configured database, which must be empty; then verify it."""
    vendor = _vendor()
    with tempfile.TemporaryDirectory(prefix=".ketaflow-restore-") as tmp:
        copy = archive.read(path, Path(tmp))
        if copy.vendor != vendor:
            raise BackupRefused(
                f"this is a {copy.vendor} backup; the configured database is {vendor}"
            )
        _check_copy(copy)
        existing = _target_tables(vendor)
        if existing:
            raise BackupRefused(
                f"the database is not empty ({len(existing)} tables): restore only into a new, "
                "empty database"
            )
        if vendor == "sqlite":
            with (
                _sqlite_file(copy.payload) as source,
                _sqlite_file(_sqlite_path(), read_only=False) as target,
            ):
                source.cursor.connection.backup(target.cursor.connection)
        else:
            connection.close()
            options = ["--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"]
            name = str(connection.settings_dict["NAME"])
            _run(["pg_restore", *options, f"--dbname={name}", str(copy.payload)])
    measured = _target_facts(vendor)
    problems = differences(copy.facts, measured)
    migration_problems, notes = migration_notes(list(measured.get("migrations", [])))
    if problems or migration_problems:
        raise RestoreFailed("; ".join(problems + migration_problems))
    freshness.wrote(connection)  # written past Django's cursors: no memoised page survives it
    return Outcome(vendor, measured, notes)
