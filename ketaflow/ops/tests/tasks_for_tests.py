"""A real task for the queue tests to enqueue (django-tasks needs a module-level function)."""

from __future__ import annotations

from django_tasks import task


@task()
def nothing() -> None:
    """Does nothing; the tests only look at it waiting in the queue."""
