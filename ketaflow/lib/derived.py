"""Derived summaries kept current by explicit calls from the services that change their inputs.

A summary a dashboard must not recompute per request (`outcomes.CourseOutcome`) is a table
derived from the records. The services that write what it reads (a course, its phase
changes and appointments, a session, a rating-scale response) say so here, in their own
transaction: `course_changed(course_id)` or `patient_changed(patient_id)`. Once the
transaction commits, each summary that listens (`listen`, registered by the summary's app,
which sits above the writers and so cannot be called by them) queues its refresh as a
background task. A rolled-back write refreshes nothing; a course changed ten times in one
transaction is refreshed once; a failure to queue is logged, never raised into the write
(the summary is derived and can always be rebuilt).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from django.db import transaction

log = logging.getLogger(__name__)

Kind = Literal["course", "patient"]
_listeners: list[Callable[[Kind, int], None]] = []


def listen(refresh: Callable[[Kind, int], None]) -> None:
    """`refresh(kind, key)` is called after each commit that changed a course or a patient."""
    if refresh not in _listeners:
        _listeners.append(refresh)


class _AfterCommit:
    """The on-commit callback for one (kind, key); equal ones are registered once."""

    def __init__(self, kind: Kind, key: int) -> None:
        self.kind, self.key = kind, key
        self.ran = False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _AfterCommit) and (self.kind, self.key) == (other.kind, other.key)

    def __hash__(self) -> int:
        return hash((self.kind, self.key))

    def __call__(self) -> None:
        self.ran = True
        for refresh in _listeners:
            try:
                refresh(self.kind, self.key)
            except Exception:  # derived: never break the write that changed its inputs
                log.exception("could not queue the refresh of %s %s", self.kind, self.key)


def changed(kind: Kind, key: int) -> None:
    callback = _AfterCommit(kind, key)
    connection = transaction.get_connection()
    # Django keeps the transaction's pending callbacks as (savepoint ids, callback, robust);
    # one rolled back with its savepoint leaves the list, so a later change queues it again
    # (and one already run, as tests run them before the test's transaction ends, is done).
    pending = connection.run_on_commit if connection.in_atomic_block else []
    if any(c == callback and not c.ran for _, c, _ in pending):
        return
    transaction.on_commit(callback)


def course_changed(course_id: int) -> None:
    """A course, its phase, an appointment or a session of it was written."""
    changed("course", course_id)


def patient_changed(patient_id: int) -> None:
    """A rating-scale response of the patient was written (it may count in any course)."""
    changed("patient", patient_id)
