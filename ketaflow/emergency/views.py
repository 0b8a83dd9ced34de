"""Emergency access pages: break the glass, read under the grant, and the admins' review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaflow.accounts.requests import staff_user
from ketaflow.emergency import selectors, services
from ketaflow.emergency.forms import BreakGlassForm, ReviewForm
from ketaflow.lib.forms import add_service_errors


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The break-glass form (designated clinicians only) and one's own grants."""
    actor = staff_user(request)
    if request.method == "POST":
        services.require_designated(actor, path=request.path)  # audited when refused
    elif not actor.can_break_glass:
        raise PermissionDenied("You are not designated for emergency access.")
    form = BreakGlassForm(request.POST or None, clinics=selectors.other_clinics(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = services.request_grant(
                actor,
                clinic_id=data["clinic"],
                date_of_birth=data["date_of_birth"],
                mrn=data["mrn"],
                family_name=data["family_name"],
                kind=data["kind"],
                reason=data["reason"],
                now=timezone.now(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("emergency:view", grant.pk)
    now = timezone.now()
    grants = list(selectors.my_grants(actor)[:20])
    context = {"form": form, "grants": grants, "now": now}
    return render(request, "emergency/start.html", context)


@login_required
@require_GET
def view(request: HttpRequest, pk: int) -> HttpResponse:
    """The read-only emergency view; refused (403, audited as denied) once expired."""
    actor = staff_user(request)
    try:
        emergency = selectors.emergency_view(actor, pk, timezone.now())
    except selectors.GrantExpired as exc:
        return render(request, "emergency/expired.html", {"message": str(exc)}, status=403)
    return render(request, "emergency/view.html", {"v": emergency})


@login_required
@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    """Every emergency access to or by the admin's clinic, with its review or a review form."""
    actor = staff_user(request)
    grants = selectors.review_list(actor)
    rows = [
        {
            "grant": g,
            "ours": g.patient_clinic_id == actor.clinic_id,
            "review": selectors.review_of(g, actor.clinic_pk),
            "other_reviews": [r for r in g.reviews.all() if r.clinic_id != actor.clinic_id],
            "form": ReviewForm(prefix=f"g{g.pk}"),
        }
        for g in grants
    ]
    return render(request, "emergency/reviews.html", {"rows": rows, "now": timezone.now()})


@login_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    grant = selectors.get_grant_for_review(actor, pk)
    form = ReviewForm(request.POST, prefix=f"g{grant.pk}")
    if not form.is_valid():
        messages.error(request, "Choose appropriate or inappropriate.")
        return redirect("emergency:reviews")
    try:
        services.review_grant(
            actor,
            grant,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            now=timezone.now(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Review recorded.")
    return redirect("emergency:reviews")
