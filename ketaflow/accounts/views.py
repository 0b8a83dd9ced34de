"""Sign-in, sign-out and TOTP two-factor set-up and verification."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaflow.accounts import services
from ketaflow.accounts.forms import SecondStepForm, TokenForm
from ketaflow.accounts.requests import staff_user
from ketaflow.audit.services import record_event


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """Staff who forgot their password get a link by email (#15, account recovery).

    The page says the same whether or not the address is known; the link works once, for
    `PASSWORD_RESET_TIMEOUT`, and points at `KETAFLOW_PUBLIC_URL` (never the request's Host).
    A new password does not sign anyone in: two-factor sign-in still follows.
    """

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        self.extra_email_context = {"public_url": settings.KETAFLOW_PUBLIC_URL}
        for user in form.get_users(form.cleaned_data["email"]):
            record_event(
                actor=None,
                actor_label="Password reset by email",
                action="update",
                obj=user,
                clinic_id=getattr(user, "clinic_id", None),
                detail={"password": "reset link sent"},
            )
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        record_event(
            actor=form.user,
            action="update",
            obj=form.user,
            detail={"password": "reset by email"},
        )
        return response


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.GET.get("next") or request.POST.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP authenticator: show a QR code, confirm with one code."""
    user = staff_user(request)
    if any(True for _ in devices_for_user(user, confirmed=True)):
        return redirect("accounts:otp_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record_event(actor=user, action="update", obj=user, detail={"2fa": "enrolled"})
            messages.success(request, "Two-factor sign-in is set up.")
            return redirect("web:home")
        form.add_error("token", "That code did not match. Check the time on your phone.")
    qr_svg = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "qr_svg": qr_svg.to_string(encoding="unicode"), "secret": device.key},
    )


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in for roles that need 2FA: the app's code or a backup code."""
    form = SecondStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices_for_user(request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    record_event(
                        actor=staff_user(request),
                        action="sign_in",
                        detail={"2fa": "backup code used", "codes_left": left},
                    )
                    messages.warning(
                        request,
                        f"You signed in with a backup code; {left} left. Set up your "
                        "authenticator again or print new codes from Backup codes.",
                    )
                return redirect(_safe_next(request))
        record_event(actor=staff_user(request), action="sign_in_failed", detail={"step": "2fa"})
        form.add_error("token", "That code did not match.")
    return render(request, "accounts/otp_verify.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Print ten one-time backup codes; only after passing two-factor sign-in."""
    user = staff_user(request)
    if not user.is_verified():  # type: ignore[attr-defined]  # added by OTPMiddleware
        return redirect("accounts:otp_verify")
    codes: list[str] = []
    if request.method == "POST":
        codes = services.issue_backup_codes(user)
    held = StaticToken.objects.filter(device__user=user).count()
    return render(request, "accounts/backup_codes.html", {"codes": codes, "held": held})
