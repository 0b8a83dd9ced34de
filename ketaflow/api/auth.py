"""API authentication: bearer tokens (hashed at rest) or the browser session with CSRF.

Either way the caller is an active member of staff; anything else is a 401:
- `Authorization: Bearer kf_…`: the token's SHA-256 is looked up; revoked, expired and
  unknown tokens and tokens of deactivated users fail; a read-only token only reads (403 on
  any other method). A token that is sent but invalid fails even
  if a session cookie is also present, so a broken script never silently acts as a person.
- the session: the signed-in user, with a CSRF token on unsafe methods, and — for roles
  that need two-factor sign-in — only once the second factor was passed (the pages'
  two-factor middleware does not guard /api/, so this does).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from ketaflow.lib.clock import clinic_zone

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    """`Authorization: Bearer kf_…`: the token's SHA-256 is looked up; revoked tokens fail."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header, "")
        if not header:
            return None  # no token: let the session try
        user = super().__call__(request)
        if not user:
            raise AuthenticationError()
        return user

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from ketaflow.accounts.models import ApiToken

        try:
            api_token = ApiToken.objects.select_related("user", "user__clinic").get(
                digest=ApiToken.hash(token), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            return None
        user = api_token.user
        now = timezone.now()
        if not user.is_active or api_token.expires_at <= now:
            return None
        if api_token.read_only and request.method not in SAFE_METHODS:
            raise HttpError(403, "This API token is read-only: it cannot change anything.")
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = user
        if user.clinic is not None:
            # The session's clinic-zone middleware ran before we knew who this was; it
            # deactivates the zone again when the request ends.
            timezone.activate(clinic_zone(user.clinic))
        return user


class SessionAuth(APIKeyCookie):
    """The browser session: active user, CSRF on unsafe methods, two-factor where required."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if getattr(user, "requires_2fa", False) and not user.is_verified():
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover
        return self(request)


session_auth = SessionAuth()
