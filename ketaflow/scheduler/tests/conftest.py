"""Fixtures of the scheduler's tests."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.lib.tests.worker_process import DB_TASKS


@pytest.fixture
def db_tasks(settings: Any) -> None:
    """Queue on the database backend (the deployment's default) instead of the tests'
    ImmediateBackend: the tick tests read the queued task rows, and `db_worker` runs them."""
    settings.TASKS = DB_TASKS
