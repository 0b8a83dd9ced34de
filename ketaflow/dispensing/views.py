"""Take-home pages (mounted at /dispensing/): a course's take-home panel, the authorisation
(with the warning on home use), dispensing, refill requests, PDMP checks, and the clinic's
controlled-substance stock with its counts.

Thin: parse with a form, call a selector or a service, render. The views check the role
before drawing a form (403 at once); the services check again and decide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ketaflow.accounts.permissions import require, require_any
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.clinical import take_home as core
from ketaflow.dispensing import selectors, services
from ketaflow.dispensing.forms import (
    AuthoriseForm,
    CountForm,
    DecideRefillForm,
    DispenseForm,
    ExplainForm,
    NoteForm,
    PdmpCheckForm,
    ReasonForm,
    ReceiptForm,
)
from ketaflow.lib.clock import clinic_today
from ketaflow.lib.forms import add_service_errors

GET_POST = require_http_methods(["GET", "POST"])


def _form_page(
    request: HttpRequest,
    form: Any,
    save: Callable[[], Any],
    *,
    title: str,
    done: str,
    back: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(back)
    return render(
        request,
        "dispensing/form.html",
        {"form": form, "title": title, "back": back, **(context or {})},
    )


@login_required
def course_panel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    course = selectors.course_of(actor, pk)
    panel = selectors.take_home_panel(actor, course)
    return render(
        request,
        "dispensing/course.html",
        {
            "panel": panel,
            "course": course,
            "patient": panel.patient,
            "warning": core.HOME_USE_WARNING,
            "can_authorise": actor.can(Capability.AUTHORISE_TAKE_HOME),
            "can_dispense": actor.can(Capability.DISPENSE_CONTROLLED),
        },
    )


@login_required
@GET_POST
def authorise(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.AUTHORISE_TAKE_HOME)
    course = selectors.course_of(actor, pk)
    panel = selectors.take_home_panel(actor, course)
    form = AuthoriseForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda: services.authorise(actor, course, **form.cleaned_data),
        title="Authorise home doses",
        done="Home doses authorised.",
        back=reverse("dispensing:course", args=[course.pk]),
        context={
            "patient": course.patient,
            "warning": core.HOME_USE_WARNING,
            "eligibility": panel.eligibility,
        },
    )


@login_required
@GET_POST
def dispense(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    auth = selectors.authorisation_of(actor, pk)
    panel = selectors.take_home_panel(actor, auth.course)
    lots = [lot.lot for lot in selectors.stock_overview(actor).lots if lot.on_book > 0]
    form = DispenseForm(request.POST or None, lots=lots, witnesses=selectors.witnesses(actor))
    return _form_page(
        request,
        form,
        lambda: services.dispense(
            actor,
            auth,
            quantity=form.cleaned_data["quantity"],
            lot=form.cleaned_data["lot"],
            witness=form.cleaned_data["witness"],
            storage_acknowledged=form.cleaned_data["storage_acknowledged"],
            no_driving_acknowledged=form.cleaned_data["no_driving_acknowledged"],
            pdmp_override_reason=form.cleaned_data["pdmp_override_reason"],
        ),
        title=f"Dispense: {auth}",
        done="Supply dispensed and logged.",
        back=reverse("dispensing:course", args=[auth.course_id]),
        context={
            "patient": auth.patient,
            "pdmp": panel.pdmp,
            "rules": [core.STORAGE_RULES, core.NO_DRIVING_RULES],
            "max_units": selectors.max_units(auth),
        },
    )


@login_required
@GET_POST
def request_refill(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    auth = selectors.authorisation_of(actor, pk)
    form = NoteForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda: services.request_refill(actor, auth, note=form.cleaned_data["note"]),
        title="Request a refill",
        done="Refill request recorded (an early one waits for a prescriber).",
        back=reverse("dispensing:course", args=[auth.course_id]),
        context={"patient": auth.patient},
    )


@login_required
@GET_POST
def end_authorisation(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.AUTHORISE_TAKE_HOME)
    auth = selectors.authorisation_of(actor, pk)
    form = ReasonForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda: services.end_authorisation(actor, auth, form.cleaned_data["reason"]),
        title="End the authorisation",
        done="Authorisation ended.",
        back=reverse("dispensing:course", args=[auth.course_id]),
        context={"patient": auth.patient},
    )


@login_required
@GET_POST
def decide_refill(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.AUTHORISE_TAKE_HOME)
    row = selectors.refill_request_of(actor, pk)
    form = DecideRefillForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda: services.decide_refill(
            actor,
            row,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        ),
        title="Decide an early refill request",
        done="Decision recorded.",
        back=reverse("dispensing:course", args=[row.course_id]),
        context={"patient": row.patient, "refill": row},
    )


@login_required
@GET_POST
def supply_error(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.AUTHORISE_TAKE_HOME)
    supply = selectors.supply_of(actor, pk)
    form = ReasonForm(request.POST or None)
    return _form_page(
        request,
        form,
        lambda: services.mark_supply_entered_in_error(actor, supply, form.cleaned_data["reason"]),
        title=f"Entered in error: {supply}",
        done="Marked entered in error; it stays on the log.",
        back=reverse("dispensing:course", args=[supply.course_id]),
        context={"patient": supply.patient},
    )


@login_required
@GET_POST
def pdmp_check(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    course = selectors.course_of(actor, pk)
    form = PdmpCheckForm(
        request.POST or None, initial={"checked_on": clinic_today(course.patient.clinic)}
    )
    return _form_page(
        request,
        form,
        lambda: services.record_pdmp_check(actor, course.patient, **form.cleaned_data),
        title="Record a PDMP check",
        done="PDMP check recorded.",
        back=reverse("dispensing:course", args=[course.pk]),
        context={"patient": course.patient},
    )


# ---------------------------------------------------------------------------- stock


@login_required
def stock(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    overview = selectors.stock_overview(actor)
    return render(
        request,
        "dispensing/stock.html",
        {"stock": overview, "can_dispense": actor.can(Capability.DISPENSE_CONTROLLED)},
    )


@login_required
@GET_POST
def receive(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    form = ReceiptForm(request.POST or None, witnesses=selectors.witnesses(actor))
    return _form_page(
        request,
        form,
        lambda: services.receive_stock(actor, **form.cleaned_data),
        title="Receive controlled-substance stock",
        done="Receipt logged.",
        back=reverse("dispensing:stock"),
    )


@login_required
@GET_POST
def count(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.DISPENSE_CONTROLLED)
    lots = [lot.lot for lot in selectors.stock_overview(actor).lots if lot.on_book != 0]
    form = CountForm(request.POST or None, lots=lots, witnesses=selectors.witnesses(actor))
    return _form_page(
        request,
        form,
        lambda: services.reconcile(
            actor,
            counts=form.counts(),
            witness=form.cleaned_data["witness"],
            note=form.cleaned_data["note"],
        ),
        title="Count the stock (reconciliation)",
        done="Count recorded. Any difference stays open until explained.",
        back=reverse("dispensing:stock"),
    )


@login_required
@GET_POST
def explain(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require_any(actor, Capability.DISPENSE_CONTROLLED)
    line = selectors.line_of(actor, pk)
    form = ExplainForm(request.POST or None, witnesses=selectors.witnesses(actor))
    return _form_page(
        request,
        form,
        lambda: services.explain_discrepancy(
            actor,
            line,
            explanation=form.cleaned_data["explanation"],
            witness=form.cleaned_data["witness"],
        ),
        title=f"Explain lot {line.lot}: counted {line.counted}, expected {line.expected}",
        done="Discrepancy explained.",
        back=reverse("dispensing:stock"),
    )
