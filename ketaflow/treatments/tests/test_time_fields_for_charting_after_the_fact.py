"""Pump, dose, vitals and scale forms take an optional time; a time later than now is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


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
    if timezone.now().astimezone(LONDON).hour == 0 and timezone.now().minute < 20:
        pytest.skip("just after midnight: HH:MM 15 min ago is yesterday")
    at = _hhmm(-15)
    login(client, nurse).post(
        reverse("treatments:act", args=[ordered.pk, "event"]),
        {"version": ordered.version, "kind": "start", "rate_ml_per_h": "52.5", "at": at},
    )
    event = fresh(ordered).events.get()
    assert f"{event.at.astimezone(LONDON):%H:%M}" == at


def test_a_vitals_time_later_than_now_is_refused_with_a_clear_message(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    if timezone.now().astimezone(LONDON).hour == 23 and timezone.now().minute > 40:
        pytest.skip("just before midnight: HH:MM 15 min ahead is tomorrow")
    at = _hhmm(15)
    r = login(client, nurse).post(
        reverse("treatments:act", args=[ordered.pk, "vitals"]),
        {"version": ordered.version, "sbp": 120, "taken_at": at},
        HTTP_HX_REQUEST="true",
    )
    body = r.content.decode()
    assert f"Time: {at} is later than now" in body and "taken_at" not in body.split("<form")[0]
    assert not fresh(ordered).vitals.filter(sbp=120, dbp__isnull=True).exists()
