"""Any member of staff issues API tokens (shown once), lists and revokes their own."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.accounts.models import ApiToken
from ketaflow.accounts.services import issue_api_token

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "researcher", "clinic_admin"])
def test_issuing_a_token_shows_it_once_and_stores_only_its_hash(
    client: Any, login: Any, personas: dict, persona: str
) -> None:
    login(client, personas[persona])
    response = client.post("/account/api-tokens/", {"name": "reporting script"})
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw.startswith("kf_") and raw in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=personas[persona])
    assert token.digest == ApiToken.hash(raw) and token.name == "reporting script"
    assert raw not in client.get("/account/api-tokens/").content.decode()


def test_a_token_needs_a_name(client: Any, login: Any, nurse: Any) -> None:
    login(client, nurse)
    response = client.post("/account/api-tokens/", {"name": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_the_list_shows_only_my_live_tokens(client: Any, login: Any, nurse: Any, prescriber: Any):
    issue_api_token(nurse, "mine")
    issue_api_token(prescriber, "theirs")
    login(client, nurse)
    page = client.get("/account/api-tokens/").content.decode()
    assert "mine" in page and "theirs" not in page


def test_revoking_my_token(client: Any, login: Any, nurse: Any) -> None:
    token, _ = issue_api_token(nurse, "old script")
    login(client, nurse)
    assert client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert list(client.get("/account/api-tokens/").context["tokens"]) == []


def test_someone_elses_token_is_not_found(client: Any, login: Any, nurse: Any, outsider: Any):
    token, _ = issue_api_token(outsider, "outsider's")
    login(client, nurse)
    assert client.post(f"/account/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_post(client: Any, login: Any, nurse: Any) -> None:
    token, _ = issue_api_token(nurse, "x")
    login(client, nurse)
    assert client.get(f"/account/api-tokens/{token.pk}/revoke/").status_code == 405
