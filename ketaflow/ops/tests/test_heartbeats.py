"""`beat` keeps one row per process, updated in place, with the latest details."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.ops.models import Heartbeat
from ketaflow.ops.services import beat

pytestmark = pytest.mark.django_db


def test_a_first_beat_creates_the_row_and_later_beats_move_it_on(clock: Any) -> None:
    first = timezone.now()
    beat("scheduler", first, {"ticks": 1})
    beat("scheduler", first + timedelta(seconds=30), {"ticks": 2})

    row = Heartbeat.objects.get()
    assert row.name == "scheduler"
    assert row.last_beat_at == first + timedelta(seconds=30)
    assert row.details == {"ticks": 2}


def test_each_process_has_its_own_row() -> None:
    now = timezone.now()
    beat("scheduler", now)
    beat("hl7:riverside", now, {"frames": 3})
    assert dict(Heartbeat.objects.values_list("name", "details")) == {
        "hl7:riverside": {"frames": 3},
        "scheduler": {},
    }


def test_a_naive_time_or_an_empty_name_is_refused() -> None:
    with pytest.raises(ValueError):
        beat("scheduler", timezone.now().replace(tzinfo=None))
    with pytest.raises(ValueError):
        beat("", timezone.now())
    assert not Heartbeat.objects.exists()
