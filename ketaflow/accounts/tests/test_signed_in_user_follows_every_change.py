"""The signed-in user's row is read once and reused across requests while nothing was written
(`accounts.backends`, memoised through `ops.freshness`), yet a deactivation, a role change or a
new password counts at the very next request; a session past its expiry is not loaded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaflow.conftest import DEFAULT_NOW

pytestmark = pytest.mark.django_db


def _home(client: Any) -> Any:
    return client.get(reverse("web:home"))


def test_a_second_request_does_not_read_the_user_row_again(
    client: Any, login: Any, nurse: Any, clock: Any
) -> None:
    clock(DEFAULT_NOW, still=True)
    c = login(client, nurse)
    _home(c)
    _home(c)
    with CaptureQueriesContext(connection) as queries:
        assert _home(c).status_code == 200
    assert not [q for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]


def test_a_deactivated_user_is_signed_out_at_the_next_request(
    client: Any, login: Any, nurse: Any
) -> None:
    c = login(client, nurse)
    assert _home(c).status_code == 200
    assert _home(c).status_code == 200  # the row is reused now
    type(nurse).objects.filter(pk=nurse.pk).update(is_active=False)
    r = _home(c)
    assert r.status_code == 302 and reverse("accounts:login") in r["Location"]


def test_a_role_change_counts_at_the_next_request(client: Any, login: Any, nurse: Any) -> None:
    c = login(client, nurse)
    assert c.get(reverse("treatments:board")).status_code == 200
    type(nurse).objects.filter(pk=nurse.pk).update(role="front_desk")
    assert c.get(reverse("treatments:board")).status_code in (403, 404)


def test_a_new_password_signs_the_old_session_out(client: Any, login: Any, nurse: Any) -> None:
    c = login(client, nurse)
    assert _home(c).status_code == 200
    nurse.set_password("a-completely-new-passphrase-9")
    nurse.save()
    assert _home(c).status_code == 302


def test_a_session_past_its_expiry_is_not_loaded(client: Any, login: Any, nurse: Any) -> None:
    c = login(client, nurse)
    assert _home(c).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert _home(c).status_code == 302
