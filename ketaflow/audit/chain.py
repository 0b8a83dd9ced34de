"""The audit log's hash chains: a gap, an edit or a reordering of audit rows is found.

There is one chain per clinic, and one for the rows without a clinic (sign-in failures,
system events); the chain key is `COALESCE(clinic_id, 0)`. In its chain every row carries its
place (`seq`, from 1 without a gap), the hash of the row before it (`prev_hash`, "" for the
first) and its own hash (`row_hash`): the SHA-256, in hex, of `canonical` — its place, its
fields and `prev_hash`. Changing a field of a row breaks its hash; deleting a row leaves a gap
in `seq`; rewriting a row's hash as well breaks the next row's `prev_hash`. A unique index on
(chain, seq) means two writers can never give two rows the same place (a fork).

Who computes the links:

- PostgreSQL: the BEFORE INSERT trigger `audit_accessevent_chain` (migration 0003), for every
  insert whatever its path — the ORM, `record_events`' bulk insert, the HL7 listener's
  statement (`services.pg_insert`) and raw SQL alike — so the application role cannot write
  a link of its own making. Per row it takes the chain's transaction-level advisory lock
  (`pg_advisory_xact_lock(LOCK_CLASS, chain)`), reads the chain's last row (a fresh snapshot
  in READ COMMITTED, so the last row a concurrent writer committed), and links to it; the lock
  is held until commit, so the writers of one clinic queue for its chain while other clinics'
  writers do not wait. Its SQL is `PG_TRIGGER` below, this module's `canonical` in SQL; the
  PostgreSQL tests verify rows it wrote with `verify_chain`, which recomputes in Python.
- SQLite (development, tests): `link`, called by `services` before the insert, in the
  insert's transaction (SQLite writes one transaction at a time).

`verify_chain` walks the chains and reports, per chain, the first broken link; `ketaflow audit
verify` prints it and exits non-zero, and the scheduler runs it. A hash chain shows tampering
by whoever may not rewrite every later row: on PostgreSQL the application's role may only
INSERT and SELECT audit rows (docs/deploying-postgresql.md); the chain heads `verify_chain`
returns can be kept elsewhere to catch a rewrite by the tables' owner or a cut-off tail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models
from django.db.models import F, TextField, Value
from django.db.models.functions import Cast, Coalesce

#: The version tag that starts every canonical text (a new canonical form needs a new tag).
VERSION = "ketaflow-audit-1"
#: The chain fields themselves; every other column but `id` is hashed.
CHAIN_FIELDS = ("seq", "prev_hash", "row_hash")
#: First key of the chains' PostgreSQL advisory locks (b"KETA"); the second is the chain.
LOCK_CLASS = 0x4B455441


def content_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The hashed fields of the audit model, by column name (an order that does not depend on
    how the model or a migration's state of it lists them): all but `id` and the chain's own,
    so a field added to the model is hashed (the trigger must then list it too)."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname not in CHAIN_FIELDS
    ]
    return sorted(fields, key=lambda f: f.column)


def chain_key(clinic_id: int | None) -> int:
    """The chain a row belongs to: its clinic's, or 0 for rows without a clinic."""
    return clinic_id or 0


def timestamp_text(at: datetime) -> str:
    """A time as hashed: UTC, microseconds, `2026-11-25T10:30:00.000000Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _part(value: str | None) -> str:
    return "-" if value is None else f"{len(value)}:{value}"


def canonical(seq: int, texts: Sequence[str | None], prev_hash: str) -> str:
    """The text a row's hash is taken over: the version, its place, each content field's text
    (None for NULL) and the previous row's hash, each as `length:text` (`-` for NULL) and
    joined by `|`, so no two different rows have the same text."""
    parts = [VERSION, _part(str(seq)), *(_part(t) for t in texts), _part(prev_hash)]
    return "|".join(parts)


def row_hash(seq: int, texts: Sequence[str | None], prev_hash: str) -> str:
    return hashlib.sha256(canonical(seq, texts, prev_hash).encode("utf-8")).hexdigest()


def _text(f: models.Field[Any, Any], value: Any) -> str | None:
    """A content field's value (as read back from the database) as hashed."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return timestamp_text(value)
    return str(value)


# -- writing (SQLite; PostgreSQL's trigger does the same in SQL)


def _insert_texts(event: models.Model, fields: list[models.Field[Any, Any]]) -> list[str | None]:
    """An unsaved row's content fields as they will read back from SQLite: JSON as the field
    stores it, the address as the field cleans it."""
    texts: list[str | None] = []
    for f in fields:
        value = getattr(event, f.attname)
        if isinstance(f, models.JSONField):
            value = json.dumps(value, cls=f.encoder)
        elif isinstance(f, models.GenericIPAddressField):
            value = f.get_prep_value(value) or None
        texts.append(_text(f, value))
    return texts


def _head(model: type[models.Model], key: int) -> tuple[int, str]:
    """The last (seq, row_hash) of a chain, (0, "") while it is empty (one index lookup on
    the (chain, seq) index; plain SQL, as it runs before every insert)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, row_hash FROM {table} WHERE COALESCE(clinic_id, 0) = %s "
            "AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
            [key],
        )
        last = cursor.fetchone()
    return (int(last[0]), str(last[1])) if last else (0, "")


def link(events: Sequence[models.Model]) -> None:
    """Give unsaved audit rows their places and hashes, in order, after their chains' last
    rows. Call it in the transaction that inserts them (SQLite only: on PostgreSQL the
    trigger links every row it inserts)."""
    if not events:
        return
    model = type(events[0])
    fields = content_fields(model)
    heads: dict[int, tuple[int, str]] = {}
    for event in events:
        key = chain_key(getattr(event, "clinic_id", None))
        if key not in heads:
            heads[key] = _head(model, key)
        seq, prev = heads[key]
        seq += 1
        digest = row_hash(seq, _insert_texts(event, fields), prev)
        event.seq, event.prev_hash, event.row_hash = seq, prev, digest  # type: ignore[attr-defined]
        heads[key] = (seq, digest)


# -- reading and verifying


class _HostText(models.Func):
    """An address column as text, without a netmask on PostgreSQL (`host()`, as the trigger
    hashes it); SQLite stores the text itself."""

    function = "host"
    output_field = TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return compiler.compile(self.source_expressions[0])


def _readings(model: type[models.Model], fields: list[models.Field[Any, Any]]) -> dict[str, Any]:
    """Per content field, the expression that reads it back as hashed: JSON as the database's
    text of it, addresses as text."""
    out: dict[str, Any] = {}
    for f in fields:
        if isinstance(f, models.JSONField):
            out[f"_t_{f.attname}"] = Cast(f.attname, TextField())
        elif isinstance(f, models.GenericIPAddressField):
            out[f"_t_{f.attname}"] = _HostText(f.attname)
        else:
            out[f"_t_{f.attname}"] = F(f.attname)
    return out


@dataclass(frozen=True)
class StoredRow:
    """One audit row as the chain sees it."""

    id: int
    chain: int
    seq: int | None
    prev_hash: str
    row_hash: str
    texts: tuple[str | None, ...]

    def recomputed(self) -> str:
        return row_hash(self.seq or 0, self.texts, self.prev_hash)


def stored_rows(
    model: type[models.Model], *, chains: Iterable[int] | None = None, chunk_size: int = 2000
) -> Iterator[StoredRow]:
    """Every audit row, chain by chain, in chain order (rows without a place first)."""
    fields = content_fields(model)
    readings = _readings(model, fields)
    qs = model._default_manager.annotate(chain=Coalesce("clinic", Value(0)), **readings)
    if chains is not None:
        qs = qs.filter(chain__in=list(chains))
    qs = qs.order_by("chain", F("seq").asc(nulls_first=True), "id")
    columns = ["id", "chain", "seq", "prev_hash", "row_hash", *readings]
    for values in qs.values_list(*columns).iterator(chunk_size=chunk_size):
        pk, key, seq, prev, digest, *texts = values
        yield StoredRow(
            pk,
            key,
            seq,
            prev,
            digest,
            tuple(_text(f, t) for f, t in zip(fields, texts, strict=True)),
        )


@dataclass(frozen=True)
class Break:
    """The first broken link of a chain."""

    chain: int  #: the clinic's id, 0 for rows without a clinic
    event_id: int  #: the audit row where the chain breaks
    kind: str  #: "edited", "gap", "link" or "unchained"
    message: str


@dataclass(frozen=True)
class Head:
    """A chain's last row: worth keeping elsewhere, to catch a later rewrite or a cut tail."""

    chain: int
    seq: int
    row_hash: str


@dataclass
class ChainReport:
    """What `verify_chain` found: the heads of the intact chains, the first broken link of
    each broken one."""

    rows: int = 0
    chains: int = 0
    heads: list[Head] = field(default_factory=list)
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    def summary(self) -> str:
        chains = _count(self.chains, "chain")
        rows = _count(self.rows, "row")
        if self.ok:
            return f"Audit chain intact: {rows} in {chains}."
        lines = [f"Audit chain BROKEN in {len(self.breaks)} of {chains} ({rows}):"]
        lines += [f"  {b.message}" for b in self.breaks]
        return "\n".join(lines)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _chain_name(key: int) -> str:
    return f"clinic {key}" if key else "the no-clinic chain"


def _check(row: StoredRow, seq: int, prev: str, prev_id: int | None) -> Break | None:
    """Whether `row` follows (seq, prev hash) of the row before it in its chain."""
    where = f"{_chain_name(row.chain)}, audit event {row.id}"
    if row.seq is None:
        return Break(row.chain, row.id, "unchained", f"{where}: has no place in the chain")
    if row.seq != seq + 1:
        missing = f"{seq + 1}" if row.seq == seq + 2 else f"{seq + 1}–{row.seq - 1}"
        return Break(
            row.chain,
            row.id,
            "gap",
            f"{where} (#{row.seq}): row #{missing} before it is missing (deleted)",
        )
    if row.recomputed() != row.row_hash:
        return Break(
            row.chain, row.id, "edited", f"{where} (#{row.seq}): changed since it was written"
        )
    if row.prev_hash != prev:
        before = f"audit event {prev_id}" if prev_id is not None else "the chain's start"
        return Break(
            row.chain,
            row.id,
            "link",
            f"{where} (#{row.seq}): does not link to {before} "
            "(that row was rewritten, or rows were reordered)",
        )
    return None


def verify_chain(
    model: type[models.Model] | None = None, *, chains: Iterable[int] | None = None
) -> ChainReport:
    """Walk every chain (or those of `chains`: clinic ids, 0 for rows without a clinic) and
    report each one's head and first broken link: an edited row, a gap (a deleted row), a
    link that does not match (a rewritten or moved row), a row with no place."""
    if model is None:
        from ketaflow.audit.models import AccessEvent

        model = AccessEvent
    report = ChainReport()
    current: int | None = None
    seq, prev, prev_id, broken = 0, "", None, False

    def close() -> None:
        if current is not None and seq and not broken:
            report.heads.append(Head(current, seq, prev))

    for row in stored_rows(model, chains=chains):
        report.rows += 1
        if row.chain != current:
            close()
            current, seq, prev, prev_id, broken = row.chain, 0, "", None, False
            report.chains += 1
        if broken:
            continue
        found = _check(row, seq, prev, prev_id)
        if found is not None:
            report.breaks.append(found)
            broken = True
            continue
        seq, prev, prev_id = row.seq or 0, row.row_hash, row.id
    close()
    return report


# -- PostgreSQL: the trigger that links every inserted row (migration 0003)

_PG_TEXTS = {
    "DateTimeField": "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    "JSONField": "{c}::text",
    "GenericIPAddressField": "host({c})",
}


def pg_trigger_sql(model: type[models.Model]) -> list[str]:
    """The trigger function and trigger that link each row PostgreSQL inserts: `link` and
    `canonical` in SQL, over the model's content fields (`content_fields`)."""
    table = model._meta.db_table
    parts = ", ".join(
        "audit_chain_part("
        + _PG_TEXTS.get(f.get_internal_type(), "{c}::text").format(c=f"NEW.{f.column}")
        + ")"
        for f in content_fields(model)
    )
    return [
        """CREATE OR REPLACE FUNCTION audit_chain_part(v text) RETURNS text
           LANGUAGE sql IMMUTABLE AS
           $$ SELECT CASE WHEN v IS NULL THEN '-' ELSE length(v)::text || ':' || v END $$""",
        f"""CREATE OR REPLACE FUNCTION audit_accessevent_chain() RETURNS trigger
           LANGUAGE plpgsql AS $$
           DECLARE
               key bigint := COALESCE(NEW.clinic_id, 0);
               last_seq bigint;
               last_hash text;
           BEGIN
               PERFORM pg_advisory_xact_lock({LOCK_CLASS}, mod(key, 2147483647)::integer);
               SELECT seq, row_hash INTO last_seq, last_hash FROM {table}
                   WHERE COALESCE(clinic_id, 0) = key AND seq IS NOT NULL
                   ORDER BY COALESCE(clinic_id, 0) DESC, seq DESC LIMIT 1;
               NEW.seq := COALESCE(last_seq, 0) + 1;
               NEW.prev_hash := COALESCE(last_hash, '');
               NEW.row_hash := encode(sha256(convert_to(concat_ws('|', '{VERSION}',
                   audit_chain_part(NEW.seq::text), {parts},
                   audit_chain_part(NEW.prev_hash)), 'UTF8')), 'hex');
               RETURN NEW;
           END; $$""",
        f"""CREATE TRIGGER audit_accessevent_chain BEFORE INSERT ON {table}
           FOR EACH ROW EXECUTE FUNCTION audit_accessevent_chain()""",
    ]


PG_TRIGGER_DROP = [
    "DROP TRIGGER IF EXISTS audit_accessevent_chain ON audit_accessevent",
    "DROP FUNCTION IF EXISTS audit_accessevent_chain()",
    "DROP FUNCTION IF EXISTS audit_chain_part(text)",
]


def rechain(model: type[models.Model]) -> int:
    """Link every row in place, chain by chain in id order (the migration that adds the chain
    runs it over the rows written before; the append-only triggers must be off). The number
    of rows linked."""
    rows = list(stored_rows(model))
    rows.sort(key=lambda r: (r.chain, r.id))
    heads: dict[int, tuple[int, str]] = {}
    updates: list[tuple[int, str, str, int]] = []
    for r in rows:
        seq, prev = heads.get(r.chain, (0, ""))
        digest = row_hash(seq + 1, r.texts, prev)
        updates.append((seq + 1, prev, digest, r.id))
        heads[r.chain] = (seq + 1, digest)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET seq = NULL")  # so no new place is taken twice
        cursor.executemany(
            f"UPDATE {table} SET seq = %s, prev_hash = %s, row_hash = %s WHERE id = %s", updates
        )
    return len(updates)
