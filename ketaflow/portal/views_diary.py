"""The patient's home dose diary and "Something is wrong", through their portal link.

Pages of the portal (the link is resolved by `portal_page`: an unknown, expired or revoked
link gets nothing), writes through the homediary app's services, which write only to the
link's own patient. Laid out for a phone (one column, big targets).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ketaflow.clinical.home_diary import SELF_CHECK_NOTE
from ketaflow.homediary import selectors as diary_selectors
from ketaflow.homediary import services as diary_services
from ketaflow.homediary.forms import DiaryForm, SomethingWrongForm
from ketaflow.lib.forms import add_service_errors
from ketaflow.portal import services
from ketaflow.portal.models import PortalLink
from ketaflow.portal.views import _base, portal_page


@require_http_methods(["GET", "POST"])
@portal_page
def diary(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    form = DiaryForm(request.POST if request.method == "POST" else None, clinic=link.clinic)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            now = timezone.now()
            try:
                recorded = diary_services.record_entry(link, form.diary_input(now), now=now)
            except PermissionDenied:
                return redirect("portal:home", token=token)
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 422
            else:
                return render(
                    request,
                    "portal/diary_saved.html",
                    _base(link, token, entry=recorded.entry, alerted=recorded.alert is not None),
                )
        else:
            status = 422
    else:
        services.record_portal_view(link, "diary")
    return render(
        request,
        "portal/diary.html",
        _base(
            link,
            token,
            form=form,
            entries=diary_selectors.own_entries(link.patient),
            self_check_note=SELF_CHECK_NOTE,
            wrong_form=SomethingWrongForm(),
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@portal_page
def something_wrong(request: HttpRequest, link: PortalLink, token: str) -> HttpResponse:
    """GET: the clinic's number, emergency advice and the button; POST: alert the clinicians."""
    sent = False
    if request.method == "POST":
        # Never refused for its wording: a note too long is cut, the alert always goes.
        note = str(request.POST.get("note", ""))[:1000]
        try:
            diary_services.something_wrong(link, now=timezone.now(), note=note)
        except PermissionDenied:
            return redirect("portal:home", token=token)
        sent = True
    else:
        services.record_portal_view(link, "something_wrong")
    return render(
        request,
        "portal/something_wrong.html",
        _base(link, token, wrong_form=SomethingWrongForm(), sent=sent),
    )
