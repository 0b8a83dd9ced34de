"""The patient list's results are drawn once per reader and query and reused while nothing
changed (`ops.freshness`): every read is audited with the patients shown, and a patient
registered a moment ago is listed at the very next read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.audit.models import AccessEvent
from ketaflow.conftest import DEFAULT_NOW
from ketaflow.patients import selectors, services

pytestmark = pytest.mark.django_db


def test_the_list_is_drawn_once_audited_every_time_and_shows_a_new_patient_at_once(
    client: Any,
    login: Any,
    front_desk: Any,
    patient: Any,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock(DEFAULT_NOW, still=True)  # no time passes: only the write can end the reuse
    draws: list[int] = []
    real = selectors.patient_page_unaudited

    def counted(*args: Any, **kwargs: Any) -> Any:
        draws.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, "patient_page_unaudited", counted)
    c = login(client, front_desk)
    url = reverse("patients:list")
    c.get(url)  # a first read makes the clinic's schedule (a write): not counted here
    draws.clear()
    reads = AccessEvent.objects.filter(action="list", detail__query="")
    before = reads.count()
    c.get(url)
    c.get(url)
    assert len(draws) == 1
    assert reads.count() == before + 2
    assert all(e.detail["patient_ids"] == [patient.pk] for e in reads)

    services.register_patient(
        front_desk, given_name="Zed", family_name="Newcomer", date_of_birth=date(1990, 1, 2),
        sex_at_birth="male",
    )  # fmt: skip
    assert "Newcomer" in c.get(url).content.decode()
    assert len(draws) == 2
    c.get(url, {"q": "Newcomer"})  # another query: drawn for itself
    assert len(draws) == 3


def test_the_search_api_reuses_its_rows_audits_every_call_and_finds_a_new_patient_at_once(
    client: Any, login: Any, front_desk: Any, patient: Any, clock: Any
) -> None:
    from ketaflow.lib.tests.api_client import call

    clock(DEFAULT_NOW, still=True)
    c = login(client, front_desk)
    searches = AccessEvent.objects.filter(action="search", detail__query="Newcomer")
    assert call(c, "GET", "/patients?q=Newcomer").json()["items"] == []
    assert call(c, "GET", "/patients?q=Newcomer").json()["items"] == []
    assert searches.count() == 2
    services.register_patient(
        front_desk, given_name="Zed", family_name="Newcomer", date_of_birth=date(1990, 1, 2),
        sex_at_birth="male",
    )  # fmt: skip
    [found] = call(c, "GET", "/patients?q=Newcomer").json()["items"]
    assert found["family_name"] == "Newcomer"
    assert searches.count() == 3
