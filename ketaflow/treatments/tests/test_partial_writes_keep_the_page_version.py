"""A vitals entry (htmx) moves every form on the page to the new version when it was ours."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db

OOB = "hx-swap-oob=\"outerHTML:input[name='version']\""


def _vitals(client: Any, session: Any, version: int) -> str:
    r = client.post(
        reverse("treatments:act", args=[session.pk, "vitals"]),
        {"version": version, "sbp": 120, "dbp": 80, "hr": 70},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    return r.content.decode()


def test_our_own_vitals_entry_sends_the_new_version_to_every_form(
    client: Any, login: Any, nurse: Any, observing: Any
) -> None:
    seen = observing.version
    body = _vitals(login(client, nurse), observing, seen)
    assert OOB in body and f'value="{seen + 1}" {OOB}' in body
    # …so the next save from another form on the page is not a false conflict
    r = client.post(
        reverse("treatments:act", args=[observing.pk, "note"]),
        {"version": seen + 1, "text": "settled"},
        follow=True,
    )
    assert "Someone else" not in r.content.decode() and fresh(observing).notes.count() == 1


def test_when_someone_else_also_wrote_the_page_keeps_its_version(
    client: Any, login: Any, nurse: Any, observing: Any
) -> None:
    seen = observing.version
    services.add_note(nurse, observing, seen, "from the other tablet")
    body = _vitals(login(client, nurse), observing, seen)
    assert "Someone else" in body and OOB not in body
