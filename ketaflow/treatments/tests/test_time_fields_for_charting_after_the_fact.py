"""Pump, dose, vitals and scale forms take an optional time; a time later than now is refused.

The clock is pinned to a weekday afternoon, before the session is built, so "15 minutes ago"
and "15 minutes ahead" are the same day whenever the suite runs (no skip around midnight).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
AFTERNOON = datetime(2026, 6, 10, 13, 0, tzinfo=UTC)  # 14:00 in London


@pytest.fixture(autouse=True)
def _afternoon(clock: Callable[[datetime], None]) -> None:
    clock(AFTERNOON)


def _hhmm(minutes_from_now: float) -> str:
    return f"{(timezone.now() + timedelta(minutes=minutes_from_now)).astimezone(LONDON):%H:%M}"


def test_the_session_page_has_a_time_box_on_each_charting_form(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    body = login(client, nurse).get(reverse("treatments:session", args=[ordered.pk])).content
    html = body.decode()
    assert '<label for="pump-at">Time (HH:MM)</label>' in html
    assert '<label for="bolus-at">Time (HH:MM)</label>' in html
    assert '<label for="v-at">Time (HH:MM)</label>' in html
    assert "Rated at (HH:MM)" in html


def test_a_start_charted_after_the_fact_keeps_its_time(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    at = _hhmm(-15)
    assert at == "13:45"
    login(client, nurse).post(
        reverse("treatments:act", args=[ordered.pk, "event"]),
        {"version": ordered.version, "kind": "start", "rate_ml_per_h": "52.5", "at": at},
    )
    event = fresh(ordered).events.get()
    assert f"{event.at.astimezone(LONDON):%H:%M}" == at


def test_a_vitals_time_later_than_now_is_refused_with_a_clear_message(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    at = _hhmm(15)
    assert at == "14:15"
    r = login(client, nurse).post(
        reverse("treatments:act", args=[ordered.pk, "vitals"]),
        {"version": ordered.version, "sbp": 120, "taken_at": at},
        HTTP_HX_REQUEST="true",
    )
    body = r.content.decode()
    assert f"Time: {at} is later than now" in body and "taken_at" not in body.split("<form")[0]
    assert not fresh(ordered).vitals.filter(sbp=120, dbp__isnull=True).exists()
