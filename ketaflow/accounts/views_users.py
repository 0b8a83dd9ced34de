"""The clinic's users, for clinic admins: list, add, deactivate and reactivate.

`accounts.selectors.clinic_users` refuses other roles (403) and scopes to the admin's clinic,
so a user of another clinic is simply not found (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user

from ketaflow.accounts import selectors, services
from ketaflow.accounts.forms import ResetSecondFactorForm, StaffUserForm
from ketaflow.accounts.requests import staff_user
from ketaflow.lib.forms import add_service_errors


@login_required
def users(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    people = list(selectors.clinic_users(actor))
    enrolled = {u.pk for u in people if any(True for _ in devices_for_user(u, confirmed=True))}
    context = {
        "people": people,
        "enrolled": enrolled,
        "in_organisation": actor.clinic is not None and actor.clinic.organisation_id is not None,
    }
    return render(request, "accounts/users.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def user_add(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    selectors.clinic_users(actor)  # the same permission check as the list: 403 for non-admins
    form = StaffUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_staff_user(actor, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Added {user.display_name} ({user.get_role_display()}).")
            return redirect("web:users")
    return render(request, "accounts/user_add.html", {"form": form})


@login_required
@require_POST
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate or reactivate: staff are never deleted, their audit trail must remain."""
    actor = staff_user(request)
    user = selectors.clinic_users(actor).filter(pk=pk).first()
    if user is None:
        raise Http404("No such user in your clinic.")
    active = request.POST.get("active") == "1"
    try:
        services.set_user_active(actor, user, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        state = "reactivated" if active else "deactivated: they can no longer sign in"
        messages.success(request, f"{user.display_name} {state}.")
    return redirect("web:users")


@login_required
@require_POST
def user_set_break_glass(request: HttpRequest, pk: int) -> HttpResponse:
    """Designate a nurse or prescriber for emergency access (break-glass), or stop."""
    actor = staff_user(request)
    user = selectors.clinic_users(actor).filter(pk=pk).first()
    if user is None:
        raise Http404("No such user in your clinic.")
    allowed = request.POST.get("allowed") == "1"
    try:
        services.set_break_glass(actor, user, allowed=allowed)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        state = "may now use" if allowed else "may no longer use"
        messages.success(request, f"{user.display_name} {state} emergency access.")
    return redirect("web:users")


@login_required
@require_http_methods(["GET", "POST"])
def user_reset_second_factor(request: HttpRequest, pk: int) -> HttpResponse:
    """A colleague lost their phone: clear their second factor, with a reason (audited)."""
    actor = staff_user(request)
    person = selectors.clinic_users(actor).filter(pk=pk).first()
    if person is None:
        raise Http404("No such user in your clinic.")
    form = ResetSecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_second_factor(actor, person, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{person.display_name}'s second factor is cleared: they set up a new "
                "authenticator at their next sign-in.",
            )
            return redirect("web:users")
    return render(request, "accounts/user_reset_2fa.html", {"form": form, "person": person})
