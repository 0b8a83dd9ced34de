"""Reads that repeat within seconds reuse their answer until the data or the clock moves.

A nurse's chair board polls every 10 s, the navigation's counts are drawn on every page, and
several people keep the same pages open: each read recomputed the same derived state (the
pre-session checklists, the open in-session alerts) from the same rows. `memo` keeps an
answer in the process's memory under a key that changes whenever the answer could:

- **the data**: the *change stamp*, a counter bumped after every committed write to any table
  but the few that reads themselves write (the audit log, the session, sign-in attempts,
  heartbeats). A database cursor wrapper sees every statement Django sends, whatever wrote
  it (a service's `save`, a queryset `update`, `bulk_create`, the HL7 listener's raw SQL, a
  migration), so no write path can forget to say so. The stamp lives in the database
  (`ChangeStamp`), so a write in one process (an HL7 listener, a worker, the other web
  worker) is seen by every other at its next read. A process's own writes also move a
  counter in its memory at once, before they commit, so a page drawn right after a write in
  the same process (the redirect after a POST, a test's next request) never reuses the old
  answer.
- **the clock**: the answer's time window (`WINDOW_SECONDS`, 10: the board's own poll
  interval). What depends on time alone (elapsed minutes, vitals coming due) may be up to
  that many seconds old, as a polled board was before; the session page does not redraw for
  the clock alone at all (its poll asks for a new version of the record). No decision is
  taken from a memoised answer: every service recomputes its limits and gates from the rows
  when it acts.

The bump runs after the commit (a rolled-back write bumps nothing, and no lock is held on the
stamp during a writer's transaction). A process that dies between its commit and the bump
leaves other processes' answers stale for at most one time window.
"""

from __future__ import annotations

import contextvars
import logging
import os
import random
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Tables written by reads (an audit row per read, the session's last-seen time, sign-in
#: attempts) or by the machinery itself: writing them changes no page's answer. Everything
#: else, a table added tomorrow included, bumps the stamp.
QUIET_TABLES = frozenset(
    {
        "audit_accessevent",
        "audit_flush_permit",
        "django_session",
        "axes_accessattempt",
        "axes_accesslog",
        "axes_accessfailurelog",
        "ops_heartbeat",
        "ops_changestamp",
    }
)

#: Statements that never write (a `WITH` is looked into: the HL7 listener's inserts are one).
_READS = re.compile(
    r"^\s*(SELECT|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|END|PRAGMA|SET|SHOW|EXPLAIN)\b", re.I
)
_WITH = re.compile(r"^\s*WITH\b", re.I)
_ANY_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.I)
_WRITTEN = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|(?<!DO )UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I
)

#: This process's own writes, committed or not: read-your-writes within the process.
_local_value = 0
_lock = threading.Lock()
_busy = threading.local()  # set while this thread bumps the shared stamp

#: How many answers a process keeps (the least recently used go first).
MAX_ENTRIES = 512
_store: OrderedDict[Hashable, Any] = OrderedDict()

_BUMP = (
    "INSERT INTO ops_changestamp (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = ops_changestamp.value + 1"
)


def writes_data(sql: str) -> bool:
    """Whether a statement can change what a page shows (see `QUIET_TABLES`)."""
    if _WITH.match(sql):
        if _ANY_WRITE.search(sql) is None:
            return False
    elif _READS.match(sql):
        return False
    tables = _WRITTEN.findall(sql)
    if not tables:  # DDL, TRUNCATE, anything unforeseen: assume it writes
        return True
    return any(t.lower() not in QUIET_TABLES for t in tables)


def _local_bump() -> None:
    global _local_value
    with _lock:
        _local_value += 1


def _shared_bump(alias: str) -> None:
    """One upsert in autocommit. Never raised into the write that caused it: before the ops
    migration has made the table (a fresh database's `migrate`) there is nothing to bump."""
    _busy.on = True
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(_BUMP)
    except DatabaseError as exc:
        # Before the ops migration there is no table: nothing to say. Anything else (a lock
        # timeout) leaves other processes' pages up to one window old: say so.
        missing = "changestamp" in str(exc).lower()
        log.log(logging.DEBUG if missing else logging.WARNING, "change stamp not bumped: %s", exc)
    finally:
        _busy.on = False


class _Pending:
    """The after-commit bump of one connection's transaction (registered once per
    transaction: a later write finds it in the pending list)."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def __call__(self) -> None:
        _shared_bump(self.alias)


def wrote(conn: Any) -> None:
    """Data changed on this Django connection: now for this process, and for every other once
    the transaction commits. The cursor wrapper calls it; so must any code that writes past
    Django's cursors (a driver cursor on the raw connection, a restore)."""
    _local_bump()
    if not conn.in_atomic_block:
        _shared_bump(conn.alias)  # autocommit: the statement has committed
    elif not any(isinstance(cb, _Pending) for _, cb, _ in conn.run_on_commit):
        conn.on_commit(_Pending(conn.alias))


def _watch(execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any) -> Any:
    result = execute(sql, params, many, context)
    if getattr(_busy, "on", False):
        return result
    # A statement Django did not build as text (a composed one) is taken as a write.
    if not isinstance(sql, str) or writes_data(sql):
        wrote(context["connection"])
    return result


@receiver(connection_created)
def _install(sender: Any, connection: Any, **kwargs: Any) -> None:
    # Only the configured databases: not the server connection Django opens to create or
    # drop a test database ("__no_db__"), which holds no page's data.
    if connection.alias in settings.DATABASES and _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


#: The shared stamp as this request first read it (`StampPerRequestMiddleware`): one read
#: per request, however many memoised parts a page has. The request's own writes still show
#: at once (they move this process's counter); other processes' at its next request.
_request_stamp: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "ketaflow_request_stamp", default=None
)


def stamp(alias: str = "default") -> tuple[int, int]:
    """(the shared stamp, this process's own) as they stand now: one indexed read (once per
    request inside one)."""
    cached = _request_stamp.get()
    if cached is not None and alias in cached:
        return cached[alias], _local_value
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT value FROM ops_changestamp WHERE id = 1")
        row = cursor.fetchone()
    value = row[0] if row else 0
    if cached is not None:
        cached[alias] = value
    return value, _local_value


class StampPerRequestMiddleware:
    """Reads the shared stamp at most once per request (first in the stack)."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        token = _request_stamp.set({})
        try:
            return self.get_response(request)
        finally:
            _request_stamp.reset(token)


#: How long an answer is reused when only the clock moved: the chair board's own poll
#: interval, so a board shows nothing older than a poll did before.
WINDOW_SECONDS = 10

#: Where this process's windows start, in seconds past the shared grid: each process draws
#: its pages again at its own moments rather than all at once (under load, every worker
#: redrawing together stalls every waiting request). Chosen once per process; tests set 0.
phase: float | None = None


def window(now: datetime, seconds: int) -> int:
    """The time window `now` falls in, for this process."""
    global phase
    if phase is None:
        phase = random.Random(os.getpid()).uniform(0, seconds)
    return int((now.timestamp() + phase) // seconds)


def memo(
    name: str,
    key: Hashable,
    compute: Callable[[], T],
    *,
    seconds: int = WINDOW_SECONDS,
    now: Any = None,
) -> T:
    """`compute()`, or its answer from earlier with the same `name` and `key`, the same data
    (change stamp) and the same `seconds`-long time window.

    `key` must hold everything else the answer depends on (the user, the clinic, the query).
    The answer is shared between requests: treat it as read-only.
    """
    when = now or timezone.now()
    full = (name, key, stamp(), window(when, seconds))
    with _lock:
        if full in _store:
            _store.move_to_end(full)
            return _store[full]
    value = compute()
    with _lock:
        _store[full] = value
        while len(_store) > MAX_ENTRIES:
            _store.popitem(last=False)
    return value


def forget() -> None:
    """Drop every memoised answer of this process (tests; after a restore)."""
    with _lock:
        _store.clear()


#: Stands for the CSRF token in a memoised fragment; each response gets its own token.
CSRF_PLACEHOLDER = "csrf-placeholder-4f1d9c"


def render_memo(
    request: HttpRequest,
    name: str,
    key: Hashable,
    template: str,
    context: Callable[[], dict[str, Any]],
    *,
    seconds: int = WINDOW_SECONDS,
) -> tuple[SafeString, Any]:
    """A template fragment drawn once per `memo` key: `(html, context()["memo_extra"])`.

    The fragment is drawn with a placeholder for the CSRF token, which each request then
    fills with its own (a memoised form posts with the reader's token, never another's).
    `memo_extra` carries what the caller needs besides the HTML on every read (the patients
    listed, for the read's audit row).
    """

    def draw() -> tuple[str, Any]:
        ctx = context()
        html = render_to_string(template, {**ctx, "csrf_token": CSRF_PLACEHOLDER}, request)
        return html, ctx.get("memo_extra")

    html, extra = memo(name, key, draw, seconds=seconds)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html), extra  # drawn by our own template, escaped there
