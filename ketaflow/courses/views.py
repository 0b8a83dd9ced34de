"""Course pages: a patient's courses, the course page, phase changes, booking, the schedule
and the calendar feeds. Thin: parse, call a selector or service, render.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.courses import gates, selectors, services
from ketaflow.courses.decision_snapshot import non_response_signalled
from ketaflow.courses.derive import followup
from ketaflow.courses.forms import (
    BookForm,
    BookSeriesForm,
    ConfirmBookingForm,
    PhaseForm,
    ReasonForm,
    RescheduleForm,
    SeriesDecisionForm,
    SlotFinderForm,
    StartCourseForm,
    StatusForm,
)
from ketaflow.courses.ical import render_feed
from ketaflow.courses.models import Appointment, AppointmentStatus
from ketaflow.courses.opening_hours import extras_on
from ketaflow.lib.clock import at_clinic, clinic_today, local
from ketaflow.lib.forms import add_service_errors
from ketaflow.lib.htmx import is_htmx

GET_POST = require_http_methods(["GET", "POST"])
SCHEDULE_DAYS = 7


def _starts_at(actor: User, day: date, at: Any) -> datetime:
    clinic = actor.clinic
    assert clinic is not None
    return at_clinic(day, at, clinic)


# ---------------------------------------------------------------------------- courses


@login_required
def patient_courses(request: HttpRequest, patient_pk: int) -> HttpResponse:
    actor = staff_user(request)
    patient, courses = selectors.patient_courses(actor, patient_pk)
    feeds = selectors.live_feeds(actor, patient=patient)
    return render(
        request,
        "courses/patient_courses.html",
        {"patient": patient, "courses": courses, "feeds": feeds, "tab": "courses"},
    )


@login_required
@GET_POST
def course_start(request: HttpRequest, patient_pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_COURSES)
    patient, _courses = selectors.patient_courses(actor, patient_pk)
    clinic = actor.clinic
    assert clinic is not None
    versions = selectors.current_protocols(actor)
    initial: dict[str, Any] = {"started_on": clinic_today(clinic)}
    reviewed = _reviewed_version(patient, versions)
    if reviewed is not None:
        initial["protocol_version"] = reviewed
    form = StartCourseForm(request.POST or None, versions=versions, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.start_course(
                actor,
                patient,
                form.cleaned_data["protocol_version"],
                started_on=form.cleaned_data["started_on"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Course started in the evaluation phase.")
            return redirect("courses:course", pk=course.pk)
    return render(
        request,
        "courses/course_start.html",
        {"patient": patient, "form": form, "versions": versions, "tab": "courses"},
    )


def _reviewed_version(patient: Any, versions: list[Any]) -> Any:
    """The current protocol matching the latest signed eligibility review: the same protocol
    if the clinic has it, else the first one of the same route; None without a signed review."""
    found = gates.reviewed(patient, timezone.now())
    if found is None:
        return None
    same = [v for v in versions if v.code == found.protocol_code]
    by_route = [v for v in versions if v.route == found.route]
    return (same or by_route or [None])[0]


def _followup(actor: User, pk: int, instrument: str) -> tuple[followup.FollowUp | None, str]:
    """Outcomes for clinical staff only (scores are clinical); a bad ?instrument= falls back."""
    if not actor.can(Capability.VIEW_CLINICAL):
        return None, ""
    try:
        return selectors.course_outcomes(actor, pk, instrument or None), ""
    except ClinicalInputError as exc:
        return selectors.course_outcomes(actor, pk), exc.message


def _decision_context(
    actor: User, view: selectors.CourseView, outcomes: followup.FollowUp | None, form: Any = None
) -> dict[str, Any]:
    """The "continue the series" panel: the session it follows, whether a note is required
    (the core signals non-response) and the decision already recorded after that session."""
    course = view.course
    if outcomes is None or course.is_ended or not actor.can(Capability.MANAGE_COURSES):
        return {"decision_offered": False}
    given = services.sessions_given(course)
    if not given:
        return {"decision_offered": False}
    latest = given[-1]
    recorded = [d for d in view.decisions if d.after_session_id == latest.pk]
    return {
        "decision_offered": True,
        "decision_after": latest,
        "decision_recorded": recorded[-1] if recorded else None,
        "decision_note_required": non_response_signalled(outcomes),
        "decision_form": form or SeriesDecisionForm(),
    }


def _course_context(actor: User, pk: int, instrument: str = "", **extra: Any) -> dict[str, Any]:
    view = selectors.course_view(actor, pk)
    outcomes, instrument_error = _followup(actor, pk, instrument)
    if outcomes is not None:  # the next step with the real outcome state, not "unknown"
        view = dataclasses.replace(view, next_step=outcomes.step, next_error=outcomes.step_error)
    proposal_rows = view.proposal.sessions
    today = clinic_today(view.course.patient.clinic)
    missing = extra.get("missing")
    if missing is None:
        asks = proposal_rows and actor.can(Capability.BOOK_APPOINTMENTS)
        missing = _missing_gates(actor, view.course.patient) if asks else []
    return {
        "missing": missing,
        "can_check_in": {a.pk for a in view.appointments if services.may_check_in_on(a, today)},
        "can_confirm": {a.pk for a in view.appointments if services.may_confirm_on(a, today)},
        **_decision_context(actor, view, outcomes, extra.get("decision_form")),
        "view": view,
        "outcomes": outcomes,
        "instrument_error": instrument_error,
        "course": view.course,
        "patient": view.course.patient,
        "proposal": proposal_rows,
        "phase_form": extra.get("phase_form") or PhaseForm(),
        "series_form": extra.get("series_form") or BookSeriesForm(confirm_missing=bool(missing)),
        "series_result": extra.get("series_result"),
        "tab": "courses",
    }


@login_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    context = _course_context(actor, pk, request.GET.get("instrument", ""))
    return render(request, "courses/course.html", context)


@login_required
@require_POST
def course_phase(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.MANAGE_COURSES)
    course = selectors.get_course(actor, pk, audit=False)
    form = PhaseForm(request.POST)
    if form.is_valid():
        try:
            services.change_phase(actor, course, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Phase changed.")
            return redirect("courses:course", pk=course.pk)
    return render(request, "courses/course.html", _course_context(actor, pk, phase_form=form))


@login_required
@require_POST
def book_series(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.BOOK_APPOINTMENTS)
    course = selectors.get_course(actor, pk, audit=False)
    missing = _missing_gates(actor, course.patient)
    form = BookSeriesForm(request.POST, confirm_missing=bool(missing))
    result = None
    if form.is_valid():
        try:
            result = services.book_series(
                actor, course, at=form.cleaned_data["at"], missing_acknowledged=missing
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Booked {len(result.booked)} session(s).")
            if missing and result.booked:
                messages.warning(request, "Before the first dose: " + " ".join(missing))
            if not result.unbooked:
                return redirect("courses:course", pk=course.pk)
    context = _course_context(actor, pk, series_form=form, series_result=result, missing=missing)
    return render(request, "courses/course.html", context)


@login_required
@require_POST
def course_decision(request: HttpRequest, pk: int) -> HttpResponse:
    """Continue the series after the latest session (prescribers). htmx swaps the panel and
    the history; without htmx the course page is redrawn (errors) or reloaded (done)."""
    actor = staff_user(request)
    require(actor, Capability.MANAGE_COURSES)
    course = selectors.get_course(actor, pk, audit=False)
    form = SeriesDecisionForm(request.POST)
    after: int | None = None
    with contextlib.suppress(ValueError):
        after = int(request.POST.get("after_session_id", ""))
    saved = False
    if form.is_valid():
        try:
            services.record_series_decision(
                actor, course, note=form.cleaned_data["note"], after_session_id=after
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            saved = True
    if saved and not is_htmx(request):
        messages.success(request, "Decision recorded: the series continues as planned.")
        return redirect("courses:course", pk=course.pk)
    context = _course_context(actor, pk, decision_form=None if saved else form)
    if is_htmx(request):
        context["oob"] = True
        return render(request, "courses/_series_decision.html", context)
    return render(request, "courses/course.html", context)


# ---------------------------------------------------------------------------- appointments


def _missing_gates(actor: User, patient: Any) -> list[str]:
    """The gates before dosing that do not pass now, in words the actor may read."""
    clinical = actor.can(Capability.VIEW_CLINICAL)
    return gates.missing_in_words(patient, timezone.now(), clinical=clinical)


def _initial_time(raw: str) -> time | None:
    try:
        return time.fromisoformat(raw)
    except ValueError:
        return None


@login_required
@GET_POST
def book(request: HttpRequest, pk: int) -> HttpResponse:
    """Book one session. GET ?day=YYYY-MM-DD[&chair=&at=HH:MM] pre-fills the form (a free
    slot's button does); ?find_day=[&find_chair=] lists the free start times. A treatment
    booked while eligibility or consent is missing needs "Book anyway"."""
    actor = staff_user(request)
    require(actor, Capability.BOOK_APPOINTMENTS)
    course = selectors.get_course(actor, pk, audit=request.method == "GET")
    chairs = selectors.list_chairs(actor, active_only=True)
    hours = selectors.opening_hours(actor)
    initial: dict[str, Any] = {"at": _initial_time(request.GET.get("at", "")) or hours.opens_at}
    with contextlib.suppress(ValueError):
        initial["day"] = date.fromisoformat(request.GET.get("day", ""))
    chosen = next((c for c in chairs if str(c.pk) == request.GET.get("chair")), None)
    if chosen is not None:
        initial["chair"] = chosen
    missing = _missing_gates(actor, course.patient)
    form = BookForm(
        request.POST or None, chairs=chairs, initial=initial, confirm_missing=bool(missing)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appt = services.book_appointment(
                actor,
                course,
                chair=data["chair"],
                starts_at=_starts_at(actor, data["day"], data["at"]),
                missing_acknowledged=missing,
            )
        except ValidationError as exc:
            _booking_errors(form, exc)
        else:
            messages.success(request, f"Booked session {appt.session_number}.")
            if missing:
                messages.warning(request, "Before the first dose: " + " ".join(missing))
            return redirect("courses:course", pk=course.pk)
    finder = SlotFinderForm(
        request.GET if "find_day" in request.GET else None,
        chairs=chairs,
        initial={"find_day": initial.get("day") or clinic_today(_clinic(actor))},
    )
    slots = None
    if finder.is_bound and finder.is_valid():
        slots = selectors.free_slots(
            actor, course, finder.cleaned_data["find_day"], finder.cleaned_data["find_chair"]
        )
    return render(
        request,
        "courses/book.html",
        {
            "course": course,
            "patient": course.patient,
            "form": form,
            "missing": missing,
            "finder": finder,
            "slots": slots,
            "slot_day": finder.cleaned_data["find_day"] if slots is not None else None,
            "tab": "courses",
        },
    )


def _clinic(actor: User) -> Any:
    clinic = actor.clinic
    if clinic is None:
        raise PermissionDenied("Your account is not attached to a clinic.")
    return clinic


def _booking_errors(form: BookForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict") and "starts_at" in exc.error_dict:
        mapped = dict(exc.error_dict)
        mapped["day"] = mapped.pop("starts_at")
        exc = ValidationError(mapped)
    add_service_errors(form, exc)


@login_required
@GET_POST
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.BOOK_APPOINTMENTS)
    appt = selectors.get_appointment(actor, pk, audit=request.method == "GET")
    clinic = appt.course.patient.clinic
    starts = local(appt.starts_at, clinic)
    chairs = selectors.list_chairs(actor, active_only=True)
    initial = {"chair": appt.chair, "day": starts.date(), "at": starts.time()}
    form = RescheduleForm(request.POST or None, chairs=chairs, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reschedule_appointment(
                actor,
                appt,
                chair=data["chair"],
                starts_at=_starts_at(actor, data["day"], data["at"]),
                reason=data["reason"],
            )
        except ValidationError as exc:
            _booking_errors(form, exc)
        else:
            messages.success(request, "Appointment moved. The old time is kept in its history.")
            return redirect("courses:course", pk=appt.course_id)
    history = list(appt.history.select_related("history_user").order_by("-history_date"))
    return render(
        request,
        "courses/reschedule.html",
        {"appt": appt, "patient": appt.course.patient, "form": form, "history": history},
    )


@login_required
@GET_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    require(actor, Capability.BOOK_APPOINTMENTS)
    appt = selectors.get_appointment(actor, pk, audit=False)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_appointment(actor, appt, form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Appointment cancelled.")
            return redirect("courses:course", pk=appt.course_id)
    when = local(appt.starts_at, appt.course.patient.clinic)
    title = f"Cancel session {appt.session_number} ({when:%a %d %b %Y %H:%M})"
    return render(
        request,
        "courses/reason.html",
        {
            "form": form,
            "title": title,
            "back_url": reverse("courses:course", args=[appt.course_id]),
        },
    )


@login_required
@require_POST
def appointment_status(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    appt = selectors.get_appointment(actor, pk, audit=False)
    form = StatusForm(request.POST)
    if not form.is_valid():
        raise Http404("No such status.")
    status = form.cleaned_data["status"]
    try:
        services.set_appointment_status(actor, appt, status)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if status == AppointmentStatus.CHECKED_IN:
            _check_in_message(request, actor, appt)
    next_url = request.POST.get("next", "")
    if next_url.startswith("/courses/"):
        return redirect(next_url)
    return redirect("courses:course", pk=appt.course_id)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a booking with the patient (from the course page, the schedule or the desk's
    home); back to the page it was pressed on."""
    actor = staff_user(request)
    require(actor, Capability.BOOK_APPOINTMENTS)
    appt = selectors.get_appointment(actor, pk, audit=False)
    form = ConfirmBookingForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(list(form.errors.get("note") or ["Check the note."]))
        done = services.confirm_booking(actor, appt, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        patient = appt.course.patient
        when = local(done.starts_at, patient.clinic)
        messages.success(
            request,
            f"Confirmed: {patient.given_name} {patient.family_name}, session "
            f"{done.session_number} on {when:%a %d %b %H:%M}.",
        )
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("courses:course", pk=appt.course_id)


def _check_in_message(request: HttpRequest, actor: User, appt: Appointment) -> None:
    """At check-in, every gate before dosing at once: what is missing, or that all pass."""
    clinical = actor.can(Capability.VIEW_CLINICAL)
    ok, text = gates.check_in_message(appt.course.patient, timezone.now(), clinical=clinical)
    (messages.success if ok else messages.warning)(request, text)


# ---------------------------------------------------------------------------- schedule


@login_required
def schedule(request: HttpRequest) -> HttpResponse:
    """The next 7 days, per day per chair; htmx swaps the week when paging."""
    actor = staff_user(request)
    clinic = actor.clinic
    if clinic is None:
        raise PermissionDenied("Your account is not attached to a clinic.")
    start = clinic_today(clinic)
    with contextlib.suppress(ValueError):
        start = date.fromisoformat(request.GET.get("start", ""))
    appts = selectors.appointments_between(actor, start, SCHEDULE_DAYS)
    chairs = selectors.list_chairs(actor)
    hours = selectors.opening_hours(actor)
    closed = {d.on: d for d in selectors.list_closed_days(actor) if d.reopened_at is None}
    days = []
    for offset in range(SCHEDULE_DAYS):
        day = start + timedelta(days=offset)
        by_chair = [
            (
                c,
                [
                    a
                    for a in appts
                    if a.chair_id == c.pk and local(a.starts_at, clinic).date() == day
                ],
            )
            for c in chairs
        ]
        extras = extras_on(clinic, day)
        days.append(
            {
                "day": day,
                "open": (day.weekday() in hours.working_days and day not in closed) or bool(extras),
                "extras": extras,
                "closure": closed.get(day),
                "chairs": [(c, rows) for c, rows in by_chair if c.active or rows],
            }
        )
    today = clinic_today(clinic)
    bookable = actor.can(Capability.BOOK_APPOINTMENTS)
    context = {
        "can_confirm": {a.pk for a in appts if bookable and services.may_confirm_on(a, today)},
        "days": days,
        "start": start,
        "previous": start - timedelta(days=SCHEDULE_DAYS),
        "next": start + timedelta(days=SCHEDULE_DAYS),
        "hours": hours,
    }
    template = "courses/_schedule_days.html" if is_htmx(request) else "courses/schedule.html"
    return render(request, template, context)


# ---------------------------------------------------------------------------- feeds


@login_required
@require_POST
def patient_feed(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """Issue or regenerate the patient's secret calendar URL (shown once)."""
    actor = staff_user(request)
    require(actor, Capability.BOOK_APPOINTMENTS)
    patient, courses = selectors.patient_courses(actor, patient_pk)
    _feed, raw = services.issue_patient_feed(actor, patient)
    url = request.build_absolute_uri(reverse("courses:feed", kwargs={"token": raw}))
    feeds = selectors.live_feeds(actor, patient=patient)
    messages.success(request, "New calendar URL issued; any earlier URL no longer works.")
    return render(
        request,
        "courses/patient_courses.html",
        {
            "patient": patient,
            "courses": courses,
            "feeds": feeds,
            "new_feed_url": url,
            "tab": "courses",
        },
    )


@login_required
@require_POST
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    feed = selectors.get_feed(actor, pk)
    services.revoke_feed(actor, feed)
    messages.success(request, "Calendar URL revoked: it no longer works.")
    if feed.patient_id:
        return redirect("courses:patient_courses", patient_pk=feed.patient_id)
    return redirect("courses:setup")


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The .ics for a secret URL; no sign-in (the secret is the key), 404 once revoked."""
    found = selectors.feed_by_token(token)
    if found is None:
        raise Http404("No such calendar feed.")
    response = HttpResponse(render_feed(found), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
