"""API authentication: bearer tokens (hashed at rest) or the browser session with CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

session_auth = django_auth


class TokenAuth(HttpBearer):
    """`Authorization: Bearer kf_…`: the token's SHA-256 is looked up; revoked tokens fail."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from ketaflow.accounts.models import ApiToken

        try:
            api_token = ApiToken.objects.select_related("user", "user__clinic").get(
                digest=ApiToken.hash(token), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            return None
        user = api_token.user
        if not user.is_active:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = user
        return user
