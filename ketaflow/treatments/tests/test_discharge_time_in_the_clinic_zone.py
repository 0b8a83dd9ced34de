"""The discharge panel shows "until HH:MM" in the clinic's zone (summer time included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from ketaflow.clinical.discharge import DischargeInputs, assess_discharge
from ketaflow.clinical.monitoring import VitalSigns
from ketaflow.clinical.routes import Route

pytestmark = pytest.mark.django_db


def test_a_summer_observation_end_is_shown_in_british_summer_time(observing: Any) -> None:
    done = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
    signs = VitalSigns(sbp=128, dbp=82, hr=72, spo2=98, rr=14, moaas=5, cadss=1)
    readiness = assess_discharge(
        DischargeInputs(
            route=Route.IV,
            dose_completed_at=done,
            now=done + timedelta(minutes=20),
            baseline=signs,
            latest=signs,
            aldrete_score=10,
            escort_present=True,
            told_not_to_drive=True,
        )
    )

    class View:
        pass

    v = View()
    v.readiness = readiness  # type: ignore[attr-defined]
    with timezone.override(ZoneInfo("Europe/London")):  # as the clinic middleware does
        html = render_to_string(
            "treatments/_session_discharge.html",
            {
                "s": observing,
                "v": v,
                "readiness": readiness,
                "blocking_rows": [(r, "", False) for r in readiness.blocking],
            },
        )
    assert "40 min to go. (until 14:00)" in html  # 13:00 UTC is 14:00 BST
    assert "until 13:00" not in html
