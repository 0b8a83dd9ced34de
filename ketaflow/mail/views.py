"""The clinic admin's page of emails Ketaflow gave up on, with "send again".

A message lands here after every attempt failed (the mail server refused or was unreachable
for the whole back-off). The admin fixes the cause (the mail settings, an address) and sends
it again. Only MANAGE_USERS (clinic admins), only their own clinic's messages: another
clinic's is 404. A patient's link is shown as a subject and recipients only: the body is not
drawn (it may hold the link).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ketaflow.accounts.requests import staff_user
from ketaflow.mail import selectors, services
from ketaflow.mail.models import OutboxMessage


@login_required
@require_GET
def failed(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    rows = selectors.failed_messages(actor)[:100]
    return render(request, "mail/failed.html", {"failed_messages": rows})


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    message = selectors.failed_messages(actor).filter(pk=pk).first()
    if message is None:
        if OutboxMessage.objects.filter(pk=pk, clinic_id=actor.clinic_pk).exists():
            messages.info(request, "That email is no longer failed.")
            return redirect("mail:failed")
        raise Http404("No such failed email in your clinic.")
    services.retry_failed(actor, message, timezone.now())
    messages.success(request, "The email is queued to be sent again.")
    return redirect("mail:failed")
