"""A monitor's message stored by the listener ends every memoised page's reuse
(`ops.freshness`): on PostgreSQL the listener writes through a driver cursor of its own, past
Django's cursor wrapper, so it says so itself; a duplicate, which writes nothing, does not."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.conftest import ingest
from ketaflow.ops import freshness

pytestmark = pytest.mark.django_db


def test_a_stored_reading_ends_the_reuse_and_a_duplicate_does_not(
    clinic: Any, checked_in: Any, binding: Any
) -> None:
    calls: list[int] = []
    freshness.memo("held-count", 1, lambda: calls.append(1))
    ingest(clinic, M.ge_b40("GE-1"))
    freshness.memo("held-count", 1, lambda: calls.append(1))
    assert len(calls) == 2
    ingest(clinic, M.ge_b40("GE-1"))  # acknowledged again, stored once
    freshness.memo("held-count", 1, lambda: calls.append(1))
    assert len(calls) == 2
