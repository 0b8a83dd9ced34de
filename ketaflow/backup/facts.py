"""What a backup must hold, as facts measured on a database: recorded at backup, re-measured
after restore, and equal or the restore is refused.

Each fact is a function of an open database (a DB-API cursor and its vendor) returning a
JSON value. `FACTS` is the list verification runs: another module adds a check by adding a
function here (as the audit log's hash-chain heads are), and every backup from then on
records it and every restore checks it.

Facts are measured with plain SQL on the copy itself (the SQLite file written, or PostgreSQL
inside the snapshot pg_dump reads), never on the live database a moment later, so a clinic at
work during the backup cannot make the manifest disagree with the data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

AUDIT_TABLE = "audit_accessevent"
AUDIT_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "clinic_id",
    "patient_id",
    "action",
    "object_type",
    "object_id",
    "detail",
    "ip_address",
    "user_agent",
    "request_id",
    "path",
    "channel",
)


@dataclass(frozen=True)
class Database:
    """An open database: a DB-API cursor and which kind ("sqlite" or "postgresql")."""

    vendor: str
    cursor: Any

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        self.cursor.execute(sql)
        return list(self.cursor.fetchall())


def table_names(db: Database) -> list[str]:
    if db.vendor == "sqlite":
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    return [str(name) for (name,) in db.rows(sql)]


def row_counts(db: Database) -> dict[str, int]:
    """Rows in every table (Ketaflow's and Django's alike)."""
    return {name: int(db.rows(f'SELECT COUNT(*) FROM "{name}"')[0][0]) for name in table_names(db)}


def migrations(db: Database) -> list[str]:
    """The migrations the database records as applied, as "app.name", sorted."""
    if "django_migrations" not in table_names(db):
        return []
    return sorted(
        f"{app}.{name}" for app, name in db.rows("SELECT app, name FROM django_migrations")
    )


def audit_log(db: Database) -> dict[str, Any]:
    """The audit log: its rows, last id and a SHA-256 over every row in id order.

    A count alone would miss an edited or swapped event; the digest does not.
    """
    if AUDIT_TABLE not in table_names(db):
        return {"rows": 0, "last_id": None, "sha256": hashlib.sha256().hexdigest()}
    digest = hashlib.sha256()
    rows = 0
    last_id = None
    db.cursor.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM {AUDIT_TABLE} ORDER BY id")
    while batch := db.cursor.fetchmany(2000):
        for row in batch:
            digest.update(json.dumps(list(row), default=str, sort_keys=True).encode())
            digest.update(b"\n")
            rows += 1
            last_id = row[0]
    return {"rows": rows, "last_id": last_id, "sha256": digest.hexdigest()}


def _columns(db: Database, table: str) -> set[str]:
    if db.vendor == "sqlite":
        return {str(row[1]) for row in db.rows(f'PRAGMA table_info("{table}")')}
    sql = (
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = current_schema() AND table_name = '{table}'"
    )
    return {str(name) for (name,) in db.rows(sql)}


def audit_chain_heads(db: Database) -> dict[str, list[Any]]:
    """Each audit chain's last place and hash (`audit.chain`; "0" is the rows without a
    clinic): a restore that lost the newest events, or carries rewritten ones, ends on
    another head. Empty for a database from before the chain."""
    if AUDIT_TABLE not in table_names(db) or "row_hash" not in _columns(db, AUDIT_TABLE):
        return {}
    sql = (
        f"SELECT COALESCE(a.clinic_id, 0), a.seq, a.row_hash FROM {AUDIT_TABLE} a "
        f"WHERE a.seq = (SELECT MAX(b.seq) FROM {AUDIT_TABLE} b "
        "WHERE COALESCE(b.clinic_id, 0) = COALESCE(a.clinic_id, 0)) ORDER BY 1"
    )
    return {str(chain): [int(seq), str(digest)] for chain, seq, digest in db.rows(sql)}


FACTS: dict[str, Callable[[Database], Any]] = {
    "tables": row_counts,
    "migrations": migrations,
    "audit_log": audit_log,
    "audit_chain_heads": audit_chain_heads,
}


def measure(db: Database) -> dict[str, Any]:
    """Every fact in `FACTS`, measured on `db`."""
    return {name: fact(db) for name, fact in FACTS.items()}


def differences(recorded: dict[str, Any], measured: dict[str, Any]) -> list[str]:
    """What differs between the facts a backup recorded and those measured now, in words."""
    problems = []
    for name in FACTS:
        if name not in recorded:
            continue  # a backup made before this fact existed
        want, got = recorded[name], measured.get(name)
        if want == got:
            continue
        if isinstance(want, dict) and isinstance(got, dict):
            for key in sorted(set(want) | set(got)):
                if want.get(key) != got.get(key):
                    problems.append(
                        f"{name} {key}: backup has {want.get(key)!r}, database has {got.get(key)!r}"
                    )
        elif isinstance(want, list) and isinstance(got, list):
            missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
            problems.append(f"{name}: missing {missing or 'none'}, unexpected {extra or 'none'}")
        else:
            problems.append(f"{name}: backup has {want!r}, database has {got!r}")
    return problems
