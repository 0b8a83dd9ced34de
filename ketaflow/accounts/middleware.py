"""Sign-in hygiene for shared clinic workstations: idle sign-out, clinic time zone, 2FA."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from ketaflow.lib.clock import clinic_zone

Handler = Callable[[HttpRequest], HttpResponse]
LAST_SEEN_KEY = "ketaflow_last_seen"
# Sent by pages' automatic refreshes (the chair board, export progress): a poll is not a
# person's action, so it never restarts the idle clock.
POLL_HEADER = "X-Ketaflow-Poll"
_EXEMPT_PREFIXES = ("/static/", "/accounts/login", "/accounts/logout", "/accounts/two-factor")
# Patient questionnaire pages (secret link, no staff sign-in): never redirected to staff sign-in.
PATIENT_PORTAL_PREFIX = "/p/q/"
#: The last-seen time is stored again only once it is this many seconds old: a person's
#: requests within it do not each rewrite the session row (a database write, and on SQLite
#: the one write lock, on every page). The idle clock then runs from up to this many seconds
#: before the last action: a sign-out can come that much earlier, never later.
LAST_SEEN_RESOLUTION_SECONDS = 30


class IdleTimeoutMiddleware:
    """Sign a user out after IDLE_TIMEOUT_MINUTES without an action of theirs.

    Only requests a person makes count: an automatic refresh (marked with `POLL_HEADER`) is
    answered while the session is alive but does not keep it alive, so a tablet left on the
    chair board signs out at the timeout. A refresh that finds the session expired sends the
    whole page to the sign-in screen rather than swapping it into the board.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(PATIENT_PORTAL_PREFIX):
            return self.get_response(request)
        if request.user.is_authenticated and hasattr(request, "session"):
            now = timezone.now().timestamp()
            last = request.session.get(LAST_SEEN_KEY)
            limit = settings.IDLE_TIMEOUT_MINUTES * 60
            if last is not None and now - float(last) > limit:
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                sign_in = f"{reverse('accounts:login')}?next={request.path}"
                if request.headers.get("HX-Request"):
                    return HttpResponseClientRedirect(sign_in)
                return redirect(sign_in)
            stale = last is None or now - float(last) >= LAST_SEEN_RESOLUTION_SECONDS
            if stale and not request.headers.get(POLL_HEADER):
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class ClinicTimezoneMiddleware:
    """Show times in the signed-in user's clinic zone; everything is stored in UTC."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        clinic = getattr(user, "clinic", None) if user.is_authenticated else None
        if clinic is not None:
            timezone.activate(clinic_zone(clinic))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class TwoFactorRequiredMiddleware:
    """Prescribers and clinic admins must pass TOTP before anything else (not in demo clinics)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "requires_2fa", False)
            and not user.is_verified()  # type: ignore[attr-defined]  # added by OTPMiddleware
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and not request.path.startswith("/api/")
            and not request.path.startswith(PATIENT_PORTAL_PREFIX)
        ):
            from django_otp import devices_for_user

            if any(True for _ in devices_for_user(user, confirmed=True)):
                return redirect(f"{reverse('accounts:otp_verify')}?next={request.path}")
            return redirect(reverse("accounts:otp_setup"))
        return self.get_response(request)
