"""The restore drill, on the database the suite runs on (SQLite or PostgreSQL, #14).

A clinic with charts and an audit trail is backed up with `ketaflow backup`, restored with
`ketaflow restore` (a separate process, as an operator would run it) into a new empty
database, and the restored database is compared table by table with the original, by queries
of its own rather than the command's word. A restore into a database that holds tables, a
truncated file and an altered one are all refused.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from ketaflow.patients.selectors import get_patient, search_patients
from ketaflow.patients.services import add_entry

KETAFLOW = str(Path(sys.executable).with_name("ketaflow"))


@pytest.fixture
def clinic_at_work(transactional_db: Any, personas: dict[str, Any], patient: Any) -> Any:
    """A chart with entries, read and searched by several people: every table has a reason."""
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    add_entry(prescriber, patient, "diagnoses", {"code": "F41.1", "is_primary": True})
    add_entry(nurse, patient, "history", {"condition": "hypertension", "presence": "past"})
    add_entry(nurse, patient, "allergies", {"substance": "Penicillin", "severity": "severe"})
    for actor in (nurse, prescriber, personas["front_desk"]):
        get_patient(actor, patient.pk)
        search_patients(actor, "Doe")
    return patient


def _counts_here() -> dict[str, int]:
    """Every table's rows in the suite's database, through Django's own connection."""
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
        counts = {}
        for name in names:
            cursor.execute(f'SELECT COUNT(*) FROM "{name}"')
            counts[name] = cursor.fetchone()[0]
    return counts


def _code_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None).disk_migrations)


def _ketaflow(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "drill-" + "k" * 50}
    return subprocess.run(
        [KETAFLOW, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A new empty database of the suite's kind: (its DATABASE_URL, a way to query it)."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"

        def query_sqlite(sql: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path) as db:
                return db.execute(sql).fetchall()

        yield f"sqlite:///{path}", query_sqlite
        return
    settings = connection.settings_dict
    name = f"test_restore_{os.getpid()}"
    server = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')

    def query_postgres(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(dbname=name, autocommit=True, **server) as db:
            return db.execute(sql).fetchall()

    auth = urllib.parse.quote(str(server["user"]))
    if server["password"]:
        auth += ":" + urllib.parse.quote(str(server["password"]))
    try:
        yield f"postgres://{auth}@{server['host']}:{server['port']}/{name}", query_postgres
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def backup_file(clinic_at_work: Any, tmp_path: Path) -> Path:
    path = tmp_path / "clinic.ketaflow-backup"
    out = io.StringIO()
    call_command("backup", output=path, stdout=out)
    assert "Backup written and checked" in out.getvalue()
    assert path.stat().st_mode & 0o077 == 0  # patient data: readable by its owner only
    return path


def test_a_backup_restores_into_an_empty_database_with_every_row_migration_and_audit_event(
    backup_file: Path, empty_database: tuple[str, Any]
) -> None:
    url, query = empty_database
    original = _counts_here()
    assert original["audit_accessevent"] >= 9  # three reads and three searches, three entries
    assert original["patients_historyitem"] == 1

    result = _ketaflow(url, "restore", "--input", str(backup_file))

    assert result.returncode == 0, result.stderr
    assert "Restored and verified" in result.stdout
    assert "equal this code's" in result.stdout
    restored = {name: query(f'SELECT COUNT(*) FROM "{name}"')[0][0] for name in original}
    assert restored == original
    assert set(query("SELECT app, name FROM django_migrations")) == _code_migrations()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, action, actor_label, object_id FROM audit_accessevent")
        audit_here = sorted(cursor.fetchall())
    audit_restored = query("SELECT id, action, actor_label, object_id FROM audit_accessevent")
    assert sorted(audit_restored) == audit_here
    # The append-only guard came back with the data.
    with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
        query("UPDATE audit_accessevent SET action = 'view'")


def test_a_restore_into_a_database_that_holds_tables_is_refused(
    backup_file: Path, empty_database: tuple[str, Any]
) -> None:
    url, query = empty_database
    assert _ketaflow(url, "restore", "--input", str(backup_file)).returncode == 0
    rows_before = query("SELECT COUNT(*) FROM audit_accessevent")

    again = _ketaflow(url, "restore", "--input", str(backup_file))

    assert again.returncode == 2
    assert "not empty" in again.stderr
    assert query("SELECT COUNT(*) FROM audit_accessevent") == rows_before


def _rewrite(
    original: Path, target: Path, *, payload_byte: int | None = None, **facts: Any
) -> None:
    """Copy a backup, flipping one byte of the database copy or changing manifest facts."""
    with tarfile.open(original, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    manifest = json.loads(members["manifest.json"])
    manifest["facts"].update(facts)
    members["manifest.json"] = json.dumps(manifest).encode()
    name = manifest["payload"]["name"]
    if payload_byte is not None:
        data = bytearray(members[name])
        data[payload_byte] ^= 0xFF
        members[name] = bytes(data)
    with tarfile.open(target, "w:gz") as tar:
        for member_name, data in members.items():
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _refusal(path: Path) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("restore", input=path, verify_only=True, stdout=io.StringIO())
    assert refused.value.returncode == 2
    return str(refused.value)


def test_a_good_backup_passes_the_check_alone(backup_file: Path) -> None:
    out = io.StringIO()
    call_command("restore", input=backup_file, verify_only=True, stdout=out)
    assert "Backup checked, not restored" in out.getvalue()
    assert f"database: {connection.vendor}" in out.getvalue()


def test_a_truncated_backup_is_refused(backup_file: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated"
    truncated.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])
    assert "not a readable Ketaflow backup" in _refusal(truncated)


def test_a_backup_whose_database_copy_was_altered_is_refused(
    backup_file: Path, tmp_path: Path
) -> None:
    altered = tmp_path / "altered"
    _rewrite(backup_file, altered, payload_byte=5000)
    assert "does not match the manifest's SHA-256" in _refusal(altered)


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="a pg_dump can only be measured once loaded: the next test covers PostgreSQL",
)
def test_a_sqlite_backup_whose_manifest_disagrees_with_its_copy_is_refused_before_loading(
    backup_file: Path, tmp_path: Path
) -> None:
    with tarfile.open(backup_file, "r:gz") as tar:
        facts = json.loads(tar.extractfile("manifest.json").read())["facts"]  # type: ignore[union-attr]
    tables = {**facts["tables"], "patients_patient": facts["tables"]["patients_patient"] + 1}
    lied = tmp_path / "lied"
    _rewrite(backup_file, lied, tables=tables)
    assert "tables patients_patient" in _refusal(lied)


def test_a_restore_that_does_not_match_its_manifest_fails_after_loading(
    backup_file: Path, tmp_path: Path, empty_database: tuple[str, Any]
) -> None:
    url, _ = empty_database
    with tarfile.open(backup_file, "r:gz") as tar:
        facts = json.loads(tar.extractfile("manifest.json").read())["facts"]  # type: ignore[union-attr]
    audit = {**facts["audit_log"], "sha256": "0" * 64}
    lied = tmp_path / "lied"
    _rewrite(backup_file, lied, audit_log=audit)

    result = _ketaflow(url, "restore", "--input", str(lied))

    assert result.returncode != 0
    assert "audit_log sha256" in result.stderr
