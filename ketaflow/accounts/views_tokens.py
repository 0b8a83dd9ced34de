"""API tokens for the signed-in member of staff: issue (shown once), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from ketaflow.accounts import selectors, services
from ketaflow.accounts.forms import TokenIssueForm
from ketaflow.accounts.requests import staff_user
from ketaflow.lib.forms import add_service_errors


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The raw token is in this one response only (never stored, never cached)."""
    actor = staff_user(request)
    form = TokenIssueForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        try:
            _, raw = services.issue_api_token(
                actor,
                form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                read_only=form.cleaned_data["read_only"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = TokenIssueForm()
    context = {"form": form, "tokens": selectors.own_tokens(actor), "raw_token": raw}
    response = render(request, "accounts/tokens.html", context)
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    token = selectors.own_tokens(actor).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token of yours.")
    services.revoke_api_token(actor, token)
    messages.success(request, f"Revoked “{token.name}”. Scripts using it will stop working.")
    return redirect("web:tokens")
