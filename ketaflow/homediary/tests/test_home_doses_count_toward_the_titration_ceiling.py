"""The home dose diary tells the titration how much was taken at home: treatments asks
through its hook (`register_home_intake`), which this app fills when it starts."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.homediary import services
from ketaflow.homediary.services import DiaryInput
from ketaflow.portal.models import PortalLink
from ketaflow.treatments import derive

pytestmark = pytest.mark.django_db


def test_recorded_home_doses_reach_the_titrations_weekly_total(
    issue: Any, patient: Any, supply: Any, today: Any
) -> None:
    link = PortalLink.objects.get(pk=issue(patient).link.pk)
    now = timezone.now()
    for days, mg in ((4, 50.0), (2, 25.0)):
        services.record_entry(
            link, DiaryInput(taken_at=now - timedelta(days=days), dose_mg=mg), now=now
        )
    session = SimpleNamespace(patient_id=patient.pk)
    found = derive.home_intake(session)  # type: ignore[arg-type]
    assert sorted((h.on, h.mg) for h in found) == [
        (today - timedelta(days=4), 50.0),
        (today - timedelta(days=2), 25.0),
    ]
