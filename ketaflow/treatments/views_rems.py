"""REMS-style monitoring record pages: printable HTML, PDF download, the forms-due list.

Thin: each view calls `rems` (scoped to the clinic, permission-checked, audited) and renders.
A session that is not esketamine gets a "not applicable" page with status 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from ketaflow.accounts.requests import staff_user
from ketaflow.treatments import rems
from ketaflow.treatments.rems import pdf


def _not_applicable(request: HttpRequest, exc: rems.NotApplicable) -> HttpResponse:
    return render(request, "treatments/rems_not_applicable.html", {"reason": str(exc)}, status=404)


@login_required
@require_GET
def rems_form(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    try:
        form = rems.export_form(actor, pk, fmt="html")
    except rems.NotApplicable as exc:
        return _not_applicable(request, exc)
    return render(
        request,
        "treatments/rems_form.html",
        {
            "form": form,
            "sections": rems.sections(form),
            "title": rems.TITLE,
            "not_official": rems.NOT_OFFICIAL,
            "draft_mark": rems.DRAFT_MARK,
        },
    )


@login_required
@require_GET
def rems_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    try:
        form = rems.export_form(actor, pk, fmt="pdf")
    except rems.NotApplicable as exc:
        return _not_applicable(request, exc)
    response = HttpResponse(pdf.render(form), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{form.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def rems_due(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    due, overdue = rems.forms_due(actor)
    return render(request, "treatments/rems_due.html", {"due": due, "overdue": overdue})


@login_required
@require_POST
def rems_submitted(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    try:
        rems.mark_submitted(actor, pk, reference=request.POST.get("reference", ""))
        messages.success(request, "Marked as submitted to the SPRAVATO REMS.")
    except rems.NotApplicable as exc:
        return _not_applicable(request, exc)
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("treatments:rems_due")
