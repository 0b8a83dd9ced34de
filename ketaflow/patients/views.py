"""Patient pages: list and search, registration, demographics, the chart and its entries.

Thin by design: parse with a form, call a selector or service, render. Selectors scope every
read to the user's clinic (another clinic's record is a 404) and services check the role on
every write (403). Pages that only show a form ask the same permission rules before drawing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.lib.clock import clinic_today
from ketaflow.lib.display import field_rows, history_versions
from ketaflow.lib.forms import add_service_errors
from ketaflow.lib.htmx import is_htmx
from ketaflow.ops import freshness
from ketaflow.patients import selectors, services
from ketaflow.patients.entries import ENTRY_KINDS, EntryKind, entry_kind
from ketaflow.patients.forms import (
    AmendPatientForm,
    DifferentPersonForm,
    EntryForm,
    PatientForm,
    PatientSearchForm,
    ReasonForm,
    amend_form_class,
    entry_form_class,
)
from ketaflow.patients.models import Patient
from ketaflow.patients.services import DEMOGRAPHIC_FIELDS

GET_POST = require_http_methods(["GET", "POST"])


def _kind(slug: str) -> EntryKind:
    try:
        return entry_kind(slug)
    except LookupError:
        raise Http404("No such kind of chart entry.") from None


# ------------------------------------------------------------------ list and register


RESULTS = "patients/_results.html"


@login_required
@vary_on_headers("HX-Request")
def patient_list(request: HttpRequest) -> HttpResponse:
    """Search by name, MRN or date of birth, a page at a time (`?q=...&page=2`); htmx swaps
    only the results as you type. Page links keep the search."""
    actor = staff_user(request)
    require(actor, Capability.VIEW_PATIENT_LIST)
    form = PatientSearchForm(request.GET)
    valid = form.is_valid()
    query = form.cleaned_data["q"] if valid else ""

    def results() -> dict[str, Any]:
        page = selectors.patient_page_unaudited(actor, query, request.GET.get("page"))
        patients = list(page.object_list)
        shown = ([p.pk for p in patients], page.number)
        return {"patients": patients, "page": page, "query": query, "memo_extra": shown}

    # The results are drawn again only when the data changed or a few seconds passed
    # (`ops.freshness`), keyed on the reader and the whole query string (page links keep it).
    if valid:
        html, (patient_ids, number) = freshness.render_memo(
            request, "patient-list", (actor.pk, request.GET.urlencode()), RESULTS, results
        )
        selectors.audit_patient_page(actor, query, patient_ids, number)
    else:
        html = render_to_string(RESULTS, {"patients": [], "page": None, "query": ""}, request)
    if is_htmx(request):
        return HttpResponse(html)
    return render(request, "patients/list.html", {"form": form, "results_html": html})


@login_required
@GET_POST
def patient_register(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.REGISTER_PATIENT)
    form = PatientForm(request.POST or None)
    confirm = DifferentPersonForm(request.POST or None)
    duplicates: list[selectors.LikelyDuplicate] = []
    if request.method == "POST" and form.is_valid():
        values = form.values()
        duplicates = selectors.likely_duplicates(
            actor,
            given_name=values.get("given_name", ""),
            family_name=values.get("family_name", ""),
            date_of_birth=values.get("date_of_birth"),
            phone=values.get("phone", ""),
        )
        ids = [d.patient.pk for d in duplicates]
        if duplicates and not confirm.confirmed(ids):
            confirm = DifferentPersonForm.warning(ids)
        else:
            duplicates = []
            try:
                clinic = actor.clinic
                patient = services.register_patient(
                    actor, is_synthetic=bool(clinic and clinic.is_synthetic), **values
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Registered {patient.full_name} ({patient.mrn}).")
                return redirect("patients:detail", pk=patient.pk)
    context = {"form": form, "confirm": confirm, "duplicates": duplicates}
    return render(request, "patients/register.html", context)


# ------------------------------------------------------------------ demographics


@login_required
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    patient = selectors.get_patient(actor, pk)
    rows = field_rows(patient, DEMOGRAPHIC_FIELDS)
    return render(
        request, "patients/detail.html", {"patient": patient, "rows": rows, "tab": "demographics"}
    )


@login_required
@GET_POST
def patient_amend(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct demographics; the reason and the previous values go into the history."""
    actor = staff_user(request)
    require(actor, Capability.REGISTER_PATIENT)
    patient = selectors.get_patient(actor, pk, audit=request.method == "GET")
    initial = model_to_dict(patient, fields=DEMOGRAPHIC_FIELDS)
    form = AmendPatientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.amend_demographics(actor, patient, form.changes(), form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Demographics amended. The previous values are kept.")
            return redirect("patients:detail", pk=patient.pk)
    return render(
        request, "patients/amend.html", {"patient": patient, "form": form, "tab": "demographics"}
    )


# ------------------------------------------------------------------ the chart


@dataclass
class Section:
    """One chart section as the page shows it."""

    kind: EntryKind
    entries: list[Any]
    can_write: bool
    form: EntryForm | None = None
    open: bool = False
    notice: str = ""

    @property
    def template(self) -> str:
        return f"patients/chart/rows_{self.kind.slug.replace('-', '_')}.html"


def _sections(actor: User, chart: selectors.Chart) -> list[Section]:
    sections = []
    for slug, kind in ENTRY_KINDS.items():
        can_write = actor.can(kind.write_capability)
        today = clinic_today(chart.patient.clinic)
        form = entry_form_class(kind)(auto_id=f"id_{slug}_%s", today=today) if can_write else None
        sections.append(Section(kind, chart.entries[slug], can_write, form))
    return sections


def _summary(chart: selectors.Chart) -> dict[str, Any]:
    """The figures shown at the top of the chart (read from the chart, not decided here)."""
    treatments = chart.entries["prior-treatments"]
    pregnancy = [p for p in chart.entries["pregnancy"] if p.status != "entered_in_error"]
    return {
        "allergies": selectors.allergy_line(chart.active("allergies")),
        "bmi": chart.bmi,
        "weight": chart.latest_weight_kg,
        "height": chart.latest_height_cm,
        "failed_trials": sum(1 for t in treatments if t.counts_as_failed_adequate_trial),
        "pregnancy": pregnancy[0] if pregnancy else None,
    }


@login_required
def chart(request: HttpRequest, pk: int) -> HttpResponse:
    """The clinical chart: nurses and prescribers only (front desk and admins get 403)."""
    actor = staff_user(request)
    the_chart = selectors.get_chart(actor, pk)
    return render(
        request,
        "patients/chart.html",
        {
            "patient": the_chart.patient,
            "chart": the_chart,
            "sections": _sections(actor, the_chart),
            "summary": _summary(the_chart),
            "tab": "chart",
        },
    )


def _chart_patient(actor: User, pk: int) -> Patient:
    """The patient of a chart page: 403 for roles without the chart, 404 for other clinics."""
    require(actor, Capability.VIEW_CLINICAL)
    return selectors.get_patient(actor, pk, audit=False)


def _render_section(
    request: HttpRequest, actor: User, pk: int, kind: EntryKind, form: EntryForm | None
) -> HttpResponse:
    """The section re-drawn for htmx: fresh entries, the form open if it has errors."""
    the_chart = selectors.get_chart(actor, pk)
    section = next(s for s in _sections(actor, the_chart) if s.kind.slug == kind.slug)
    if form is not None:
        section.form, section.open = form, True
    else:
        section.notice = f"Saved to {kind.title.lower()}."
    context = {
        "patient": the_chart.patient,
        "section": section,
        "summary": _summary(the_chart),
        "oob_summary": True,  # allergies and BMI at the top may have changed too
    }
    return render(request, "patients/chart/_section.html", context)


@login_required
@GET_POST
def entry_add(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    actor = staff_user(request)
    entry = _kind(kind)
    patient = _chart_patient(actor, pk)
    require(actor, entry.write_capability, patient)
    form = entry_form_class(entry)(
        request.POST or None, auto_id=f"id_{entry.slug}_%s", today=clinic_today(patient.clinic)
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.add_entry(actor, patient, entry.slug, form.values())
            except ValidationError as exc:
                add_service_errors(form, exc)
        if not form.errors:
            if is_htmx(request):
                return _render_section(request, actor, pk, entry, None)
            messages.success(request, f"Saved to {entry.title.lower()}.")
            return redirect(_chart_url(pk, entry))
        if is_htmx(request):
            return _render_section(request, actor, pk, entry, form)
    context = {"patient": patient, "kind": entry, "form": form, "tab": "chart"}
    return render(request, "patients/entry_add.html", context)


def _entry(actor: User, pk: int, kind: EntryKind, entry_pk: int) -> Any:
    require(actor, Capability.VIEW_CLINICAL)
    record = selectors.get_entry(actor, kind.slug, entry_pk)
    if record.patient_id != pk:
        raise Http404("No such entry in this patient's chart.")
    return record


def _chart_url(pk: int, kind: EntryKind) -> str:
    return f"{reverse('patients:chart', args=[pk])}#section-{kind.slug}"


@login_required
@GET_POST
def entry_amend(request: HttpRequest, pk: int, kind: str, entry_pk: int) -> HttpResponse:
    """Correct an entry: the reason is required and the old values stay in its history."""
    actor = staff_user(request)
    entry = _kind(kind)
    record = _entry(actor, pk, entry, entry_pk)
    require(actor, entry.write_capability, record)
    initial = model_to_dict(record, fields=(*entry.fields, "status"))
    form = amend_form_class(entry)(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.amend_entry(actor, record, form.changes(), form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Entry amended. The previous values are in its history.")
            return redirect(_chart_url(pk, entry))
    context = {"patient": record.patient, "kind": entry, "record": record, "form": form}
    return render(request, "patients/entry_amend.html", {**context, "tab": "chart"})


@login_required
@GET_POST
def entry_error(request: HttpRequest, pk: int, kind: str, entry_pk: int) -> HttpResponse:
    """Mark an entry entered in error (with a reason); it stays visible, struck through."""
    actor = staff_user(request)
    entry = _kind(kind)
    record = _entry(actor, pk, entry, entry_pk)
    require(actor, entry.write_capability, record)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.mark_entered_in_error(actor, record, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Marked as entered in error. It stays in the history.")
            return redirect(_chart_url(pk, entry))
    context = {"patient": record.patient, "kind": entry, "record": record, "form": form}
    return render(request, "patients/entry_error.html", {**context, "tab": "chart"})


@login_required
def entry_history(request: HttpRequest, pk: int, kind: str, entry_pk: int) -> HttpResponse:
    """Every version of an entry: who changed it, when, why, and what it said before."""
    actor = staff_user(request)
    entry = _kind(kind)
    record = _entry(actor, pk, entry, entry_pk)
    versions = history_versions(selectors.entry_history(actor, record), entry.fields)
    context = {"patient": record.patient, "kind": entry, "record": record, "versions": versions}
    return render(request, "patients/entry_history.html", {**context, "tab": "chart"})
