"""Idle sign-out: a shared chair-side tablet must not stay signed in."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ketaflow.accounts.middleware import LAST_SEEN_KEY

HOME = reverse("web:home")


def idle_for(client, seconds):
    """Pretend the last request was `seconds` ago, by moving the session's last-seen time."""
    session = client.session
    session[LAST_SEEN_KEY] = timezone.now().timestamp() - seconds
    session.save()


@pytest.fixture
def signed_in(client, login, nurse):
    login(client, nurse)
    assert client.get(HOME).status_code == 200
    return client


def test_a_request_inside_the_idle_limit_keeps_the_user_signed_in(signed_in):
    idle_for(signed_in, settings.IDLE_TIMEOUT_MINUTES * 60 - 30)
    assert signed_in.get(HOME).status_code == 200


def test_after_the_idle_limit_the_user_is_signed_out_and_sent_to_sign_in(signed_in):
    idle_for(signed_in, settings.IDLE_TIMEOUT_MINUTES * 60 + 1)
    target = reverse("patients:list")
    response = signed_in.get(target)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={target}"
    assert "_auth_user_id" not in signed_in.session
    assert signed_in.get(HOME).status_code == 302


def test_the_sign_out_says_why(signed_in):
    idle_for(signed_in, settings.IDLE_TIMEOUT_MINUTES * 60 + 1)
    page = signed_in.get(HOME, follow=True)
    assert "signed out after a period of inactivity" in page.content.decode()


def test_an_idle_sign_out_is_in_the_audit_log(signed_in, nurse):
    from ketaflow.audit.models import AccessEvent

    idle_for(signed_in, settings.IDLE_TIMEOUT_MINUTES * 60 + 1)
    signed_in.get(HOME)
    assert AccessEvent.objects.filter(actor=nurse, action="sign_out").exists()


def test_each_request_restarts_the_idle_clock(signed_in):
    idle_for(signed_in, settings.IDLE_TIMEOUT_MINUTES * 60 - 5)
    signed_in.get(HOME)
    assert timezone.now().timestamp() - signed_in.session[LAST_SEEN_KEY] < 5


def test_requests_close_together_do_not_rewrite_the_session(signed_in):
    """The last-seen time is kept to LAST_SEEN_RESOLUTION_SECONDS: a page a second after
    another does not write the session row again (a write per page, on SQLite the one write
    lock), and the idle clock then runs from the earlier time: a sign-out comes up to that
    many seconds sooner, never later."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ketaflow.accounts.middleware import LAST_SEEN_RESOLUTION_SECONDS

    idle_for(signed_in, LAST_SEEN_RESOLUTION_SECONDS - 5)
    before = signed_in.session[LAST_SEEN_KEY]
    with CaptureQueriesContext(connection) as ctx:
        assert signed_in.get(HOME).status_code == 200
    assert signed_in.session[LAST_SEEN_KEY] == before
    assert not [q for q in ctx.captured_queries if 'UPDATE "django_session"' in q["sql"]]
    idle_for(signed_in, LAST_SEEN_RESOLUTION_SECONDS + 1)
    signed_in.get(HOME)
    assert timezone.now().timestamp() - signed_in.session[LAST_SEEN_KEY] < 5


@override_settings(IDLE_TIMEOUT_MINUTES=2)
def test_the_limit_comes_from_settings(signed_in):
    idle_for(signed_in, 2 * 60 + 1)
    assert signed_in.get(HOME).status_code == 302


# ------------------------------------------------------------ automatic refreshes are not activity

POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_KETAFLOW_POLL": "true"}


def test_an_automatic_refresh_does_not_restart_the_idle_clock(signed_in):
    idle_for(signed_in, settings.IDLE_TIMEOUT_MINUTES * 60 - 30)
    before = signed_in.session[LAST_SEEN_KEY]
    assert signed_in.get(reverse("treatments:board"), **POLL).status_code == 200
    assert signed_in.session[LAST_SEEN_KEY] == before


def test_a_page_left_refreshing_itself_signs_out_at_the_timeout(signed_in, clock):
    """The chair board polls every 10 s; a tablet left on it must still sign out."""
    from datetime import timedelta

    idle_for(signed_in, settings.IDLE_TIMEOUT_MINUTES * 60 - 30)
    start = timezone.now()
    for seconds in (10, 20, 29):
        clock(start + timedelta(seconds=seconds))
        refreshed = signed_in.get(reverse("treatments:board"), **POLL)
        assert refreshed.status_code == 200 and "HX-Redirect" not in refreshed
    clock(start + timedelta(seconds=40))
    response = signed_in.get(reverse("treatments:board"), **POLL)
    # The whole page goes to the sign-in screen (not the sign-in form swapped into the board).
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in signed_in.session


def test_every_self_refreshing_element_marks_its_requests_as_polls():
    from pathlib import Path

    from ketaflow.accounts.middleware import POLL_HEADER

    root = Path(__file__).resolve().parents[2]
    polling = [
        (path, line)
        for path in root.rglob("*.html")
        for line in path.read_text().splitlines()
        if 'hx-trigger="every' in line
    ]
    assert polling, "the chair board polls: this test must find it"
    for path, line in polling:
        assert POLL_HEADER in line, f"{path.name}: {line.strip()}"
