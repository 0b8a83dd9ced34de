"""The probes and metrics read the queue the deployment has: the database backend's rows (the
tests' default elsewhere is Django Tasks' ImmediateBackend, which keeps no queue)."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.lib.tests.worker_process import DB_TASKS


@pytest.fixture(autouse=True)
def _queue_in_the_database(settings: Any, _tasks_run_where_queued: None) -> None:
    settings.TASKS = DB_TASKS
