"""The link is the key: it writes and reads only its own patient's diary; a dead link, nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaflow.homediary.models import DiaryEntry, HomeAlert
from ketaflow.homediary.tests.conftest import diary_path, entry_data
from ketaflow.portal.services import revoke_link

pytestmark = pytest.mark.django_db


def test_another_patients_token_neither_sees_nor_writes_this_diary(
    issue: Any, patient: Any, second_patient: Any, portal_client: Client
) -> None:
    mine = issue(patient)
    theirs = issue(second_patient)
    portal_client.post(diary_path(mine), entry_data(dose_mg="37.5", note="my own words"))
    page = portal_client.get(diary_path(theirs)).content.decode()
    assert "37.5" not in page and "my own words" not in page
    portal_client.post(diary_path(theirs), entry_data(dose_mg="12"))
    assert sorted(DiaryEntry.objects.values_list("patient_id", "dose_mg")) == sorted(
        [(patient.pk, 37.5), (second_patient.pk, 12.0)]
    )
    # Their own page lists only their own dose.
    page = portal_client.get(diary_path(theirs)).content.decode()
    assert "12 mg" in page and "37.5" not in page


def test_a_revoked_or_expired_link_gets_nothing_and_writes_nothing(
    issue: Any, patient: Any, nurse: Any, portal_client: Client, clock: Any
) -> None:
    revoked = issue(patient)
    revoke_link(nurse, revoked.link)
    expiring = issue(patient, expires_in_days=1)
    for url in (diary_path(revoked), diary_path(revoked, "something-wrong")):
        assert portal_client.get(url).status_code == 410
        assert portal_client.post(url, entry_data()).status_code == 410
    clock(timezone.now() + timedelta(days=2))
    assert portal_client.post(diary_path(expiring), entry_data()).status_code == 410
    assert portal_client.post(diary_path(expiring, "something-wrong"), {}).status_code == 410
    assert not DiaryEntry.objects.exists() and not HomeAlert.objects.exists()


def test_an_unknown_token_is_not_found(portal_client: Client, db: Any) -> None:
    assert portal_client.get("/p/q/not-a-real-token/diary/").status_code == 404
