"""The prune job drops the database backend's finished task rows older than two weeks, and
does nothing on another backend (RQ expires its own results)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ketaflow.lib.tests.worker_process import DB_TASKS
from ketaflow.scheduler.jobs import prune_task_results, recover_work

pytestmark = pytest.mark.django_db


def test_on_another_backend_the_job_skips() -> None:
    # the tests' ImmediateBackend (conftest), as with RQ: nothing of django-tasks-db's to prune
    assert "skipped" in prune_task_results.call()


def test_on_the_database_backend_old_finished_rows_are_pruned() -> None:
    now = timezone.now()
    with override_settings(TASKS=DB_TASKS):
        old, recent, waiting = (str(recover_work.enqueue().id) for _ in range(3))
        DBTaskResult.objects.filter(pk=old).update(
            status="SUCCESSFUL", finished_at=now - timedelta(days=15)
        )
        DBTaskResult.objects.filter(pk=recent).update(
            status="SUCCESSFUL", finished_at=now - timedelta(days=13)
        )
        assert prune_task_results.call() == {"pruned": "older than 14 days"}
    left = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert left == {recent, waiting}
