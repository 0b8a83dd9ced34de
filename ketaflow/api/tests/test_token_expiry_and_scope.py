"""API tokens expire and may be read-only (account security, §170.315(d))."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaflow.accounts.models import ApiToken
from ketaflow.accounts.services import issue_api_token
from ketaflow.lib.tests.api_client import VALID_PATIENT, call
from ketaflow.patients.models import Patient


def test_a_token_works_until_it_expires_then_is_refused(client, nurse, clock):
    token, raw = issue_api_token(nurse, "script", days=30)
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(seconds=1)
    issued = timezone.now()
    clock(issued + timedelta(days=29, hours=23))
    assert call(client, "GET", "/accounts/me", token=raw).status_code == 200
    clock(issued + timedelta(days=30, minutes=1))
    assert call(client, "GET", "/accounts/me", token=raw).status_code == 401


def test_tokens_last_ninety_days_unless_chosen(nurse):
    token, _ = issue_api_token(nurse, "script")
    assert (token.expires_at - token.created_at).days in (89, 90)


@pytest.mark.parametrize("days", [0, -1, 366, True])
def test_a_lifetime_outside_one_to_365_days_is_refused(nurse, days):
    with pytest.raises(ValidationError) as refused:
        issue_api_token(nurse, "script", days=days)
    assert "days" in refused.value.message_dict


def test_a_read_only_token_reads_but_cannot_change_anything(client, front_desk):
    _token, raw = issue_api_token(front_desk, "reporting", read_only=True)
    assert call(client, "GET", "/patients", token=raw).status_code == 200
    response = call(client, "POST", "/patients", VALID_PATIENT, token=raw)
    assert response.status_code == 403
    assert "read-only" in str(response.json()["detail"])
    assert not Patient.objects.exists()


def test_a_full_token_of_the_same_person_can_change(client, front_desk):
    _token, raw = issue_api_token(front_desk, "registration script")
    assert call(client, "POST", "/patients", VALID_PATIENT, token=raw).status_code == 201


def test_the_api_issues_a_read_only_token_with_its_lifetime(client, login, nurse):
    login(client, nurse)
    response = call(client, "POST", "/accounts/tokens", {"name": "r", "days": 7, "read_only": True})
    assert response.status_code == 201
    body = response.json()
    assert body["read_only"] is True
    token = ApiToken.objects.get(pk=body["id"])
    assert token.read_only and (token.expires_at - token.created_at).days in (6, 7)
    refused = call(client, "POST", "/accounts/tokens", {"name": "r", "days": 400})
    assert refused.status_code == 422


def test_the_page_issues_a_read_only_token_and_lists_expiry(client, login, nurse):
    login(client, nurse)
    page = client.post(reverse("web:tokens"), {"name": "nightly", "days": 14, "read_only": "on"})
    assert page.status_code == 200
    token = ApiToken.objects.get(user=nurse)
    assert token.read_only
    body = page.content.decode()
    assert "read only" in body and token.expires_at.strftime("%Y") in body


def test_expired_tokens_leave_the_list_but_stay_on_record(client, login, nurse, clock):
    token, _ = issue_api_token(nurse, "old")
    clock(timezone.now() + timedelta(days=91))
    login(client, nurse)
    assert "old" not in client.get(reverse("web:tokens")).content.decode().split("Your tokens")[1]
    assert ApiToken.objects.filter(pk=token.pk).exists()
