"""Sign-in, sign-out and TOTP two-factor set-up and verification."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaflow.accounts.forms import TokenForm
from ketaflow.accounts.requests import staff_user
from ketaflow.audit.services import record_event


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


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
    """Second step of sign-in for roles that need 2FA."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices_for_user(request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_safe_next(request))
        record_event(actor=staff_user(request), action="sign_in_failed", detail={"step": "2fa"})
        form.add_error("token", "That code did not match.")
    return render(request, "accounts/otp_verify.html", {"form": form})
