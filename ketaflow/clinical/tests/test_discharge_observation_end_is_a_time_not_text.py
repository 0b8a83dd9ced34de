"""The core gives the end of the observation minimum as a UTC time; it formats no clock time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ketaflow.clinical.discharge import DischargeInputs, assess_discharge
from ketaflow.clinical.monitoring import VitalSigns
from ketaflow.clinical.routes import Route

SUMMER_DONE = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)  # 13:00 in London (BST); ends 13:00 UTC
SIGNS = VitalSigns(sbp=128, dbp=82, hr=72, spo2=98, rr=14, moaas=5, cadss=1)


def _reasons(route: Route, minutes: float) -> dict[str, object]:
    result = assess_discharge(
        DischargeInputs(
            route=route,
            dose_completed_at=SUMMER_DONE,
            now=SUMMER_DONE + timedelta(minutes=minutes),
            baseline=SIGNS,
            latest=SIGNS,
            aldrete_score=10,
            escort_present=True,
            told_not_to_drive=True,
        )
    )
    return {r.code: r for r in result.blocking}


def test_the_observation_minimum_carries_its_end_as_a_utc_time() -> None:
    reason = _reasons(Route.IV, 20)["observation.minimum"]
    assert reason.until == SUMMER_DONE + timedelta(minutes=60)  # type: ignore[attr-defined]
    assert "40 min to go" in reason.message  # type: ignore[attr-defined]
    assert "13:00" not in reason.message and "until 13" not in reason.message  # type: ignore[attr-defined]


def test_the_esketamine_floor_too() -> None:
    reason = _reasons(Route.INTRANASAL, 30)["observation.esketamine_floor"]
    assert reason.until == SUMMER_DONE + timedelta(minutes=120)  # type: ignore[attr-defined]
    assert ":" not in reason.message.split("observation after the dose:")[1]  # type: ignore[attr-defined]
