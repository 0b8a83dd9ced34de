"""Each role's home refreshes its worklist every minute (htmx), and that refresh is a poll:
it never counts as the person's activity, so a workstation left on its home still signs out
at the idle timeout (accounts.middleware, as for the chair board)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from ketaflow.accounts.middleware import LAST_SEEN_KEY, POLL_HEADER

pytestmark = pytest.mark.django_db

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_KETAFLOW_POLL": "true"}


def _idle_for(client: Any, seconds: float) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = timezone.now().timestamp() - seconds
    session.save()


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "clinic_admin"])
def test_every_roles_home_polls_its_worklist_as_a_poll(
    client: Any, login: Any, personas: dict[str, Any], persona: str
) -> None:
    login(client, personas[persona])
    page = client.get("/").content.decode()
    (tag,) = re.findall(r'<div class="worklist" id="worklist"[^>]*>', page)
    assert 'hx-get="/"' in tag and 'hx-trigger="every 60s"' in tag
    assert 'hx-swap="outerHTML"' in tag and POLL_HEADER in tag


def test_the_poll_gets_the_worklist_alone_with_todays_counts(
    client: Any, login: Any, front_desk: Any, course: Any, chair: Any, clinic: Any
) -> None:
    from datetime import date, time

    from ketaflow.courses.services import book_appointment
    from ketaflow.lib.clock import at_clinic

    login(client, front_desk)
    first = client.get("/", **POLL).content.decode()
    assert first.lstrip().startswith('<div class="worklist" id="worklist"')
    assert "<html" not in first and "<nav" not in first
    assert 'Bookings to confirm <span class="worklist-count">(0)</span>' in first
    book_appointment(
        front_desk, course, chair=chair, starts_at=at_clinic(date(2026, 11, 26), time(9), clinic)
    )
    later = client.get("/", **POLL).content.decode()
    assert 'Bookings to confirm <span class="worklist-count">(1)</span>' in later


def test_the_poll_does_not_extend_the_idle_session(
    client: Any, login: Any, front_desk: Any, clock: Any
) -> None:
    login(client, front_desk)
    assert client.get("/").status_code == 200
    _idle_for(client, settings.IDLE_TIMEOUT_MINUTES * 60 - 90)
    before = client.session[LAST_SEEN_KEY]
    start = timezone.now()
    for minute in (0, 1):  # the home's own refreshes, a minute apart
        clock(start + timedelta(minutes=minute))
        refreshed = client.get("/", **POLL)
        assert refreshed.status_code == 200 and "HX-Redirect" not in refreshed
        assert client.session[LAST_SEEN_KEY] == before
    clock(start + timedelta(minutes=2))  # past the timeout: only polls since the last action
    response = client.get("/", **POLL)
    assert response["HX-Redirect"].startswith("/accounts/login")
    assert "_auth_user_id" not in client.session
