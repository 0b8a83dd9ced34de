"""Fasting: a bare time later than now is last night; a date and time is taken as given.

The clock is pinned (before the session is built) so the answers never straddle midnight:
a morning list for the usual case, and a moment just before midnight for the edge.
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
MORNING = datetime(2026, 6, 10, 7, 30, tzinfo=UTC)  # 08:30 in London
LATE_EVENING = datetime(2026, 6, 10, 22, 50, tzinfo=UTC)  # 23:50 in London


@pytest.fixture
def morning(clock: Callable[[datetime], None]) -> None:
    clock(MORNING)


def _post(client: Any, session: Any, **data: str) -> Any:
    url = reverse("treatments:act", args=[session.pk, "checklist"])
    return client.post(url, {"version": fresh(session).version, **data}, follow=True)


def test_a_bare_time_later_than_now_means_yesterday(
    morning: None, client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    later = (timezone.now() + timedelta(minutes=30)).astimezone(LONDON)
    assert f"{later:%Y-%m-%d %H:%M}" == "2026-06-10 09:00"
    r = _post(login(client, nurse), checked_in, last_food_at=f"{later:%H:%M}")
    body = r.content.decode()
    assert "future" not in body and "Saved." in body
    saved = fresh(checked_in).checklist_answers.get().last_food_at.astimezone(LONDON)
    assert saved.date() == later.date() - timedelta(days=1)
    assert f"{saved:%H:%M}" == f"{later:%H:%M}"
    assert "A time later than now means yesterday" in body


def test_a_bare_time_earlier_today_just_before_midnight_is_today(
    clock: Callable[[datetime], None],
    client: Any,
    login: Any,
    nurse: Any,
    gates_open: None,
    request: pytest.FixtureRequest,
) -> None:
    """At 23:50, "last food 18:00" is this evening, not yesterday's."""
    clock(LATE_EVENING)
    checked_in = request.getfixturevalue("checked_in")
    _post(login(client, nurse), checked_in, last_food_at="18:00")
    saved = fresh(checked_in).checklist_answers.get().last_food_at.astimezone(LONDON)
    assert f"{saved:%Y-%m-%d %H:%M}" == "2026-06-10 18:00"


def test_a_date_and_time_is_accepted(
    morning: None, client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    when = (
        (timezone.now() - timedelta(hours=30)).astimezone(LONDON).replace(second=0, microsecond=0)
    )
    _post(login(client, nurse), checked_in, last_clear_liquid_at=f"{when:%Y-%m-%d %H:%M}")
    saved = fresh(checked_in).checklist_answers.get().last_clear_liquid_at
    assert saved == when


def test_a_date_and_time_in_the_future_is_refused_with_a_clear_message(
    morning: None, client: Any, login: Any, nurse: Any, checked_in: Any, gates_open: None
) -> None:
    when = (timezone.now() + timedelta(days=1)).astimezone(LONDON)
    r = _post(login(client, nurse), checked_in, last_food_at=f"{when:%Y-%m-%d %H:%M}")
    assert "Last food: " in r.content.decode() and "is later than now" in r.content.decode()
    assert not fresh(checked_in).checklist_answers.exists()
