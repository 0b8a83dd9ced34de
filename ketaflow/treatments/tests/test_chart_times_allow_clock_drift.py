"""A chair-side time a few minutes ahead (a drifting clock) is "now"; beyond that, refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaflow.lib.clock import FUTURE_TOLERANCE
from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db


def test_a_reading_within_the_tolerance_ahead_is_kept(nurse: Any, ordered: Any) -> None:
    at = timezone.now() + FUTURE_TOLERANCE - timedelta(seconds=1)
    row, _ = services.record_vitals(nurse, ordered, ordered.version, sbp=120, dbp=80, taken_at=at)
    assert row.taken_at == at


def test_a_reading_beyond_the_tolerance_is_refused(nurse: Any, ordered: Any) -> None:
    at = timezone.now() + FUTURE_TOLERANCE + timedelta(seconds=1)
    before = ordered.vitals.count()
    with pytest.raises(ValidationError, match="in the future"):
        services.record_vitals(nurse, ordered, ordered.version, sbp=120, dbp=80, taken_at=at)
    assert fresh(ordered).vitals.count() == before
