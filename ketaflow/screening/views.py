"""Screening pages: the patient's screening (reviews, scales, clearance, BP), sign-off, consent,
and the clinic's consent documents. Thin: parse with a form, call a selector or service, render.

Roles without the chart get 403; another clinic's patient is a 404 (the selectors decide).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from ketaflow.accounts.permissions import require
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import INSTRUMENTS, Licence, get_instrument
from ketaflow.lib.forms import add_service_errors
from ketaflow.lib.htmx import is_htmx
from ketaflow.questionnaires.forms import InstrumentForm
from ketaflow.questionnaires.selectors import instrument_rows
from ketaflow.questionnaires.services import record_response
from ketaflow.screening import selectors, services
from ketaflow.screening.display import (
    criteria_rows,
    fact_lines,
    finding_groups,
    need_rows,
    outcome_label,
    pregnancy_line,
)
from ketaflow.screening.forms import (
    ObservationForm,
    OpenReviewForm,
    PublishDocumentForm,
    ReasonForm,
    SignatureForm,
    SignReviewForm,
)
from ketaflow.screening.protocols import DEFAULT_PROTOCOL, get_protocol

GET_POST = require_http_methods(["GET", "POST"])
# Baseline scales offered on the screening page (in-session scales belong to sessions).
BASELINE_INSTRUMENTS = ("gad7", "phq9", "hama", "lsas", "pcl5", "pdss", "ybocs", "cssrs")


def _screening_url(pk: int, anchor: str = "") -> str:
    url = reverse("screening:patient", args=[pk])
    return f"{url}#{anchor}" if anchor else url


def _instrument_links() -> list[dict[str, Any]]:
    links = []
    for code in BASELINE_INSTRUMENTS:
        instrument = INSTRUMENTS[code]
        licensed = instrument.licence is Licence.TOTAL_ONLY
        links.append(
            {
                "code": code,
                "name": instrument.name,
                "note": "total only (licensed)" if licensed else instrument.rater.value,
            }
        )
    return links


def _review_context(review: Any) -> dict[str, Any]:
    return {
        "groups": finding_groups(review),
        "fact_lines": fact_lines(review.facts),
        "suggested": outcome_label(review.suggested_outcome),
        "criteria_rows": criteria_rows(review.criteria or {}),
    }


@login_required
def patient_screening(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    overview = selectors.screening_overview(actor, pk)
    current = overview.current
    # The protocol whose needs are shown (?protocol=...), and the one a new review opens under.
    chosen = OpenReviewForm(request.GET, auto_id="needs_%s") if "protocol" in request.GET else None
    code = chosen.cleaned_data["protocol"] if chosen and chosen.is_valid() else DEFAULT_PROTOCOL
    needs = selectors.needs_for(overview.patient, get_protocol(code))
    context: dict[str, Any] = {
        "patient": overview.patient,
        "overview": overview,
        "current": current,
        "review": current.review if current else None,
        "latest_scales": instrument_rows(overview.responses),
        "instruments": _instrument_links(),
        "open_form": OpenReviewForm(initial={"protocol": code}),
        "needs_form": OpenReviewForm(initial={"protocol": code}, auto_id="needs_%s"),
        "needs": needs,
        "need_rows": need_rows(needs.needs, pk),
        "pregnancy_line": pregnancy_line(needs.pregnancy, needs.pregnancy_source),
        "observation_form": ObservationForm(clinic=overview.patient.clinic),
        "tab": "screening",
    }
    if current is not None:
        context.update(_review_context(current.review))
    return render(request, "screening/patient.html", context)


@login_required
@require_POST
def open_review(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.RECORD_SCREENING)
    patient = selectors.screening_patient(actor, pk)
    form = OpenReviewForm(request.POST)
    if form.is_valid():
        try:
            services.open_review(actor, patient, protocol=form.cleaned_data["protocol"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "Review opened: check every finding before sign-off.")
    else:
        messages.error(request, "Choose a protocol.")
    return redirect(_screening_url(pk, "eligibility"))


@login_required
def review_detail(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    actor = staff_user(request)
    review = selectors.get_review(actor, pk, review_pk)
    state = selectors.state_of(review)
    context = {"patient": review.patient, "review": review, "current": state, "tab": "screening"}
    return render(request, "screening/review.html", {**context, **_review_context(review)})


@login_required
@GET_POST
def sign_review(request: HttpRequest, pk: int, review_pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.SIGN_ELIGIBILITY)
    review = selectors.get_review(actor, pk, review_pk)
    if review.is_signed:
        messages.info(request, "This review is already signed and locked.")
        return redirect("screening:review", pk=pk, review_pk=review.pk)
    form = SignReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_review(actor, review, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Eligibility signed. The review is now locked.")
            return redirect(_screening_url(pk, "eligibility"))
    state = selectors.state_of(review)
    context = {"patient": review.patient, "review": review, "current": state, "form": form}
    return render(
        request, "screening/sign.html", {**context, **_review_context(review), "tab": "screening"}
    )


@login_required
@GET_POST
def record_scale(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """One scale's form, built from the core; htmx swaps just the form on errors."""
    actor = staff_user(request)
    require(actor, Capability.RECORD_SCREENING)
    patient = selectors.screening_patient(actor, pk)
    try:
        instrument = get_instrument(code)
    except ClinicalInputError:
        raise Http404("No such instrument.") from None
    form = InstrumentForm(instrument, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            response = record_response(actor, patient, instrument.code, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            shown = response.total if response.total is not None else response.risk_level
            note = f"{instrument.name} recorded: {shown}"
            if response.severity and response.total is not None:
                note += f" ({response.severity})"
            if response.has_safety_flag:
                messages.error(request, f"{note}. SAFETY FLAG: see the top of the page.")
            else:
                messages.success(request, f"{note}.")
            if is_htmx(request):
                return HttpResponseClientRedirect(_screening_url(pk, "scales"))
            return redirect(_screening_url(pk, "scales"))
    context = {"patient": patient, "instrument": instrument, "form": form, "tab": "screening"}
    template = "screening/_scale_form.html" if is_htmx(request) else "screening/scale.html"
    return render(request, template, context)


@login_required
@GET_POST
def record_observation(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.RECORD_SCREENING)
    patient = selectors.screening_patient(actor, pk)
    form = ObservationForm(
        request.POST or None, initial={"kind": request.GET.get("kind")}, clinic=patient.clinic
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_observation(actor, patient, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Recorded.")
            return redirect(_screening_url(pk, "clearance"))
    context = {"patient": patient, "form": form, "tab": "screening"}
    return render(request, "screening/observation.html", context)


@login_required
@GET_POST
def observation_error(request: HttpRequest, pk: int, observation_pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.RECORD_SCREENING)
    observation = selectors.get_observation(actor, pk, observation_pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_observation_entered_in_error(
                actor, observation, form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Marked as entered in error. It stays in the record.")
            return redirect(_screening_url(pk, "clearance"))
    context = {"patient": observation.patient, "observation": observation, "form": form}
    return render(request, "screening/observation_error.html", {**context, "tab": "screening"})


# ---------------------------------------------------------------- consent


@login_required
@GET_POST
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    """The document in force, the patient's signatures, and (for RECORD_CONSENT) the sign form."""
    actor = staff_user(request)
    patient = selectors.screening_patient(actor, pk)
    can_record = actor.can(Capability.RECORD_CONSENT)
    form = SignatureForm(request.POST or None) if can_record else None
    if request.method == "POST":
        require(actor, Capability.RECORD_CONSENT)
        assert form is not None
        if form.is_valid():
            try:
                services.record_signature(
                    actor,
                    patient,
                    typed_name=form.cleaned_data["typed_name"],
                    method=form.cleaned_data["method"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Consent recorded.")
                return redirect("screening:consent", pk=pk)
    context = {
        "patient": patient,
        "document": selectors.document_in_force(patient.clinic_id),
        "signatures": selectors.consent_history(actor, pk),
        "current": selectors.current_consent(patient),
        "gate": selectors.consent_gate(patient),
        "form": form,
        "tab": "consent",
    }
    return render(request, "screening/consent.html", context)


@login_required
@GET_POST
def consent_withdraw(request: HttpRequest, pk: int, signature_pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.RECORD_CONSENT)
    signature = selectors.get_signature(actor, pk, signature_pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_consent(actor, signature, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Withdrawal recorded. The signature stays in the record.")
            return redirect("screening:consent", pk=pk)
    context = {"patient": signature.patient, "signature": signature, "form": form}
    return render(request, "screening/consent_withdraw.html", {**context, "tab": "consent"})


@login_required
def documents(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    versions = selectors.consent_documents(actor)
    in_force = selectors.document_in_force(actor.clinic_pk)
    return render(request, "screening/documents.html", {"versions": versions, "in_force": in_force})


@login_required
def document_detail(request: HttpRequest, document_pk: int) -> HttpResponse:
    document = selectors.get_consent_document(staff_user(request), document_pk)
    return render(request, "screening/document.html", {"document": document})


@login_required
@GET_POST
def publish_document(request: HttpRequest) -> HttpResponse:
    """Publish the next version (clinic admins); it retires the version in force."""
    actor = staff_user(request)
    require(actor, Capability.MANAGE_CONSENT_DOCUMENTS)
    in_force = selectors.document_in_force(actor.clinic_pk)
    initial = {"title": in_force.title, "body": in_force.body} if in_force else None
    form = PublishDocumentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.publish_document(actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Version {document.version} published.")
            return redirect("screening:documents")
    return render(request, "screening/publish.html", {"form": form, "in_force": in_force})
