"""Session pages: the chair-side session page, the chair board, check-in, discharge sheet.

Thin: parse the action's form (`treatments.forms.actions`), call a service or selector,
render; a form's or a service's errors are shown as messages naming the field. Every form
posts the session `version` it was rendered with; a stale one shows "someone else changed
this session".

Each chair-side action answers twice over (issue #13, "At the chair and at the desk"): a
plain POST is answered by a redirect to the page (the messages say what happened), an htmx
POST by the page's session region drawn again (`_session_swap.html`, the messages out of
band), so nobody reloads the page for an action. An htmx refusal answers only the acted
card's errors box (what was typed stays in the form), except a stale page, which is drawn
again. Every rule stays in the services; the views only choose what to draw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reselect, reswap, retarget

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.discharge import BlockingReason, DischargeReadiness
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import get_instrument, moaas_sedation_flags
from ketaflow.clinical.pk import (
    ABSORPTION,
    PkRoute,
    get_model,
    grid,
    plan_and_record,
    simulate,
    simulate_record,
    single_dose,
)
from ketaflow.clinical.session_exceptions import ExceptionSummary
from ketaflow.courses import gates as course_gates
from ketaflow.lib.charts import (
    curve_figure,
    inline_svg,
    plan_and_record_figure,
    plan_and_record_summary,
)
from ketaflow.lib.clock import clinic_zone
from ketaflow.lib.forms import add_service_errors
from ketaflow.lib.htmx import is_htmx
from ketaflow.ops import freshness
from ketaflow.treatments import derive, selectors, services
from ketaflow.treatments.forms import (
    SESSION_SCALE_CODES,
    RecoveryScoreForm,
    SessionScaleForm,
    actions,
    pre_session_form,
    recovery_score_forms,
    session_scale_forms,
)
from ketaflow.treatments.models import Severity, SideEffectKind

RECOVERY = services.RECOVERY_SCALES
PK_MODEL = "kamp"  # the clinic's default model for racemic IV
TAKEN_TODAY_CHOICES = (
    ("benzodiazepine", "benzodiazepine"),
    ("z_drug", "Z-drug"),
    ("opioid", "opioid"),
    ("psychostimulant", "stimulant"),
    ("maoi", "MAOI"),
)


#: Human labels for the service's field names, so an error never shows an internal name.
FIELD_LABELS: dict[str, str] = {
    "last_food_at": "Last food",
    "last_clear_liquid_at": "Last clear drink",
    "escort_name": "Escort name",
    "escort_phone": "Escort phone",
    "medication_changes": "Medication changes",
    "medication_changes_reviewed": "Medication changes asked",
    "taken_today": "Taken today",
    "weight_kg": "Today's weight",
    "entered_value": "Today's weight",
    "pregnancy_test_positive": "Pregnancy test",
    "mg_per_kg": "mg/kg",
    "dose_mg": "Dose",
    "weight_basis": "Weight basis",
    "minutes": "Minutes",
    "concentration_mg_per_ml": "Concentration",
    "overrides": "Override reason",
    "kind": "Administration",
    "at": "Time",
    "rate_ml_per_h": "Rate (mL/h)",
    "bolus_mg": "Bolus (mg)",
    "sbp": "Systolic",
    "dbp": "Diastolic",
    "hr": "Heart rate",
    "spo2": "SpO2",
    "rr": "Respiratory rate",
    "oxygen_l_per_min": "Oxygen flow",
    "on_oxygen": "On oxygen",
    "taken_at": "Time",
    "reading_id": "Reading",
    "code": "Alert",
    "event_id": "Administration line",
    "reason": "Reason",
    "severity": "Severity",
    "other_text": "Side effect",
    "onset_at": "Onset time",
    "resolved_at": "Resolved time",
    "effect_id": "Side effect",
    "drug": "Drug",
    "dose": "Dose",
    "route": "Route",
    "given_at": "Time given",
    "rescue_id": "Rescue medication",
    "text": "Text",
    "aldrete_score": "Aldrete",
    "padss_score": "PADSS",
    "dissociation_resolved": "Dissociation resolved",
    "administered_at": "Rated at",
    "version": "Page",
}


def _label(field: str) -> str:
    if field.startswith("override:"):
        return f"Override {field.removeprefix('override:')}"
    return FIELD_LABELS.get(field, field.replace("_", " ").capitalize())


#: The day-of-treatment questions on the checklist form: (answer field, label).
SUBSTANCE_QUESTION_FIELDS = (
    ("alcohol_today", "Alcohol today"),
    ("drugs_today", "Recreational drugs today"),
    ("intoxication_signs", "Signs of intoxication"),
)


ServiceCall = Callable[..., object]

#: Each chair-side action: the form that parses what the page posts, and the service it calls
#: as `call(actor, session, version, **form.service_kwargs())`.
ACTIONS: dict[str, tuple[type[actions.SessionActionForm], ServiceCall]] = {
    "checklist": (actions.ChecklistForm, services.save_checklist),
    "substance_decision": (actions.SubstanceDecisionForm, services.record_substance_decision),
    "order": (actions.OrderForm, services.enter_order),
    "confirm": (actions.ConfirmOrderForm, services.confirm_order),
    "event": (actions.AdministrationForm, services.record_administration),
    "dosing_complete": (actions.NoFieldsForm, services.complete_dosing),
    "vitals": (actions.VitalsForm, services.record_vitals),
    "ack": (actions.AcknowledgeAlertForm, services.acknowledge_alert),
    "strike_event": (actions.StrikeEventForm, services.mark_event_entered_in_error),
    "side_effect": (actions.SideEffectForm, services.record_side_effect),
    "resolve": (actions.ResolveSideEffectForm, services.resolve_side_effect),
    "rescue": (actions.RescueForm, services.record_rescue),
    "rescue_ack": (actions.AcknowledgeRescueForm, services.acknowledge_rescue),
    "note": (actions.NoteForm, services.add_note),
    # "discharge" is its own step (`_discharge_step`): the recovery scores come with it.
    "sign": (actions.SignForm, services.sign_session),
    "amend": (actions.AmendForm, services.amend),
}


#: The card of the session page each action belongs to: where an htmx post's errors show, and
#: the card kept in place (and focused) after the swap (`session.js`).
CARD_OF: dict[str, str] = {
    "checklist": "checklist",
    "substance_decision": "checklist",
    "order": "order",
    "confirm": "order",
    "event": "administration",
    "dosing_complete": "administration",
    "strike_event": "administration",
    "vitals": "vitals",
    "ack": "vitals",
    "side_effect": "side-effects",
    "resolve": "side-effects",
    "rescue": "rescue",
    "rescue_ack": "rescue",
    "note": "notes",
    "amend": "notes",
    "sign": "sign",
}

#: How often an open session page asks whether someone else changed the session (seconds).
POLL_SECONDS = 20


def _clinic(actor: User) -> Clinic:
    clinic = actor.clinic
    assert clinic is not None  # staff_user() admits clinic staff only
    return clinic


def _problems(form: forms.BaseForm) -> list[str]:
    """A form's errors as the page's messages: "Label: message", or the message alone."""
    return [
        str(m) if field == NON_FIELD_ERRORS else f"{_label(field)}: {m}"
        for field, ms in form.errors.items()
        for m in ms
    ]


def _posted_version(post: QueryDict, form: forms.BaseForm) -> int | None:
    """The session version a scale form posted (outside the form's prefix), else an error."""
    try:
        return int(actions.VersionField().clean(post.get("version")))
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return None


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{'' if f == '__all__' else _label(f) + ': '}{m}"
            for f, ms in exc.message_dict.items()
            for m in ms
        ]
    return list(exc.messages)


@dataclass(frozen=True)
class PkChart:
    """The session's PK chart: the SVG and the same in words (for screen readers)."""

    svg: str
    summary: str
    compares_plan: bool  # the order's planned course is drawn beside what was delivered


#: How long a drawn PK chart is reused for the same inputs: drawing it is most of the session
#: page's time (Matplotlib, ~0.3 s), and the page is reopened and polled all session long.
PK_CHART_SECONDS = 60


def _curve_svg(view: selectors.SessionView) -> PkChart | None:
    """Predicted plasma ketamine (IV) with the order's weight: the order's planned course
    beside the course of what was delivered so far (`clinical.pk.plan_and_record`).

    Memoised in Django's cache on every input (the order, the administration record, the
    minute): the same record in the same minute draws the same chart; a new dose event, a
    changed order or the next minute draws it again."""
    order = view.order
    if view.session.route != "iv" or order is None or not view.record.events:
        return None
    if not order.actual_weight_kg:
        return None
    inputs = (
        PK_MODEL,
        order.pk,
        order.status,
        order.actual_weight_kg,
        order.dose_mg,
        order.minutes,
        repr(view.record),
        view.now.replace(second=0, microsecond=0).isoformat(),
    )
    key = "pk-chart:" + hashlib.sha256(repr(inputs).encode()).hexdigest()
    chart: PkChart | None = cache.get(key)
    if chart is None:
        chart = _draw_curve(view, order)
        if chart is not None:
            cache.set(key, chart, PK_CHART_SECONDS)
    return chart


def _draw_curve(view: selectors.SessionView, order: Any) -> PkChart | None:
    model = get_model(PK_MODEL)
    try:
        if order.status == "confirmed" and order.minutes and order.dose_mg:
            plan = plan_and_record(
                model,
                order.actual_weight_kg,
                ordered_mg=order.dose_mg,
                ordered_minutes=order.minutes,
                record=view.record,
                now=view.now,
            )
            figure = plan_and_record_figure(plan)
            return PkChart(inline_svg(figure), plan_and_record_summary(plan), True)
        curve = simulate_record(
            model, order.actual_weight_kg, view.record, until=view.now, after_min=120
        )
    except ClinicalInputError:  # e.g. a weight outside the model's range: no curve, no error
        return None
    peak = float(curve.concentration_ng_per_ml.max())
    summary = f"Predicted peak {peak:.0f} ng/mL from what was delivered so far."
    return PkChart(inline_svg(curve_figure(curve)), summary, False)


#: How long the oral order's curve runs: oral ketamine peaks later and lasts longer than IV.
ORAL_CURVE_MINUTES = 360


def _oral_order_curve(view: selectors.SessionView) -> PkChart | None:
    """The PK simulator's oral model for the order's dose (typical patient, today's weight).

    Sublingual doses use the same oral model: Ketaflow has one route code for both, and the
    sublingual bioavailability (32 ± 17%, Chong 2006) sits at the top of the oral model's range
    (14-32%), so the curve may underestimate a sublingual dose; the caption says so.
    Memoised like `_curve_svg` on its inputs (the dose and the weight).
    """
    order = view.order
    if view.session.route != "oral" or order is None or not order.actual_weight_kg:
        return None
    inputs = ("oral", PK_MODEL, order.dose_mg, order.actual_weight_kg)
    key = "pk-oral-chart:" + hashlib.sha256(repr(inputs).encode()).hexdigest()
    chart: PkChart | None = cache.get(key)
    if chart is not None:
        return chart
    try:
        curve = simulate(
            get_model(PK_MODEL),
            order.actual_weight_kg,
            single_dose(PkRoute.ORAL, order.dose_mg),
            grid(ORAL_CURVE_MINUTES),
        )
    except ClinicalInputError:
        return None
    i = int(curve.concentration_ng_per_ml.argmax())
    peak, at = float(curve.concentration_ng_per_ml[i]), float(curve.times_min[i])
    oral = ABSORPTION[PkRoute.ORAL]
    summary = (
        f"Oral model: {order.dose_mg:g} mg by mouth peaks at about {peak:.0f} ng/mL "
        f"{at:.0f} min after the dose (bioavailability {oral.bioavailability:.0%}, "
        f"range {oral.bioavailability_range[0]:.0%}-{oral.bioavailability_range[1]:.0%})."
    )
    chart = PkChart(inline_svg(curve_figure(curve)), summary, False)
    cache.set(key, chart, PK_CHART_SECONDS)
    return chart


def _titration_panel(view: selectors.SessionView) -> dict[str, Any] | None:
    """The titration's suggestion and ceilings for an oral/sublingual session (else None)."""
    if view.session.route != "oral":
        return None
    found = derive.titration_proposal(view.session, timezone.now())
    if found is None:
        return None
    rules, proposal = found
    return {
        "proposal": proposal,
        "action": proposal.action.value.replace("_", " "),
        "ceilings": [
            ("per dose", rules.max_mg_per_dose),
            ("per rolling 7 days", rules.max_mg_per_7_days),
        ],
        "step": rules.step_mg,
        "interval": rules.min_days_between_steps,
        "curve": _oral_order_curve(view),
    }


def _scale_rows(view: selectors.SessionView) -> list[dict[str, Any]]:
    """This session's scales with the core's flags, plus MOAA/S sedation against pre-dose."""
    first = view.record.first_dose_at
    pre_moaas = None
    rows = []
    for r in view.scales:
        flags = [f["message"] for f in r.flags]
        in_force = r.status != "entered_in_error"
        if r.instrument == "moaas" and in_force and r.total is not None:
            if first is None or r.administered_at < first:
                pre_moaas = r.total
            elif pre_moaas is not None:
                extra = moaas_sedation_flags(pre_moaas, r.total)
                flags = [f.message for f in extra if f.message not in flags] + flags
        rows.append({"r": r, "name": get_instrument(r.instrument).name, "flags": flags})
    return rows


def _only_ours(post: QueryDict, wrote: bool, view: selectors.SessionView) -> bool:
    """Our write was the only change since the page was drawn (the version moved on by one).

    Then a partial (htmx) response may move every form on the page to the new version
    (an out-of-band swap of the `version` inputs) and redraw the other panels the write
    changes; if someone else also wrote, the page keeps its old version, so the next save
    says "someone else changed this session" instead of overwriting their change.
    """
    if not wrote:
        return False
    try:
        seen = int(post.get("version", ""))
    except ValueError:
        return False
    return view.session.version == seen + 1


def _local_value(when: datetime | None, actor: User) -> str:
    """A stored time as the form shows it: HH:MM today, else YYYY-MM-DD HH:MM (clinic zone)."""
    if when is None:
        return ""
    clinic = actor.clinic
    assert clinic is not None
    zone = clinic_zone(clinic)
    there = when.astimezone(zone)
    if there.date() == timezone.now().astimezone(zone).date():
        return f"{there:%H:%M}"
    return f"{there:%Y-%m-%d %H:%M}"


def _checklist_initial(actor: User, view: selectors.SessionView) -> dict[str, Any]:
    """The checklist form pre-filled from the latest saved answers (saving again keeps them)."""
    answers = derive.latest_answers(view.session)
    if answers is None:
        return {"taken_today": []}
    return {
        "last_food_at": _local_value(answers.last_food_at, actor),
        "last_clear_liquid_at": _local_value(answers.last_clear_liquid_at, actor),
        "escort_name": answers.escort_name,
        "escort_phone": answers.escort_phone,
        "medication_changes_reviewed": answers.medication_changes_reviewed,
        "medication_changes": answers.medication_changes,
        "taken_today": list(answers.taken_today),
        "alcohol_today": answers.alcohol_today,
        "drugs_today": answers.drugs_today,
        "intoxication_signs": answers.intoxication_signs,
    }


def _discharge_panel(
    view: selectors.SessionView,
    form: actions.DischargeForm | None = None,
    recovery: list[RecoveryScoreForm] | None = None,
    refused: DischargeReadiness | None = None,
) -> dict[str, Any]:
    """The discharge step as the page draws it: the answers (as sent when the step was
    refused, else the latest assessment's, the escort first carried over from the checklist),
    the two recovery scores' item forms, and the reasons in force as one list.

    The reasons are the core's own sentences (`BlockingReason.message`); on a refused
    discharge they are the core's reasons for the answers as sent, not as saved.
    """
    session = view.session
    if session.status != "observing":
        return {}
    escort = derive.checklist_escort(session)
    if form is not None:
        values = form.shown_values()
    else:
        last = derive.latest_discharge(session)
        values = {
            "dissociation_resolved": last.dissociation_resolved if last else None,
            "escort_present": last.escort_present if last else escort is not None,
            "told_not_to_drive": last.told_not_to_drive if last else False,
            "overrides": {},
        }
    if recovery is None:
        latest = {code: derive.latest_scale_response(session, code) for code in RECOVERY}
        recovery = recovery_score_forms(RECOVERY, latest=latest)
    readiness = refused or view.readiness
    return {
        "dc": values,
        "escort_from_checklist": escort,
        "recovery_forms": recovery,
        "refused": refused is not None,
        "discharge_errors": _problems(form) if form is not None else [],
        "readiness": readiness,
        "blocking_rows": _reason_rows(readiness, values["overrides"], refused is not None),
    }


def _reason_rows(
    readiness: DischargeReadiness | None, typed: dict[str, str], refused: bool
) -> list[tuple[BlockingReason, str, bool]]:
    """(reason, override reason typed, overridden) for the one list of reasons. After a
    refused discharge, the reasons the prescriber's typed overrides set aside are listed too,
    with what was typed, so nothing typed is lost."""
    if readiness is None:
        return []
    rows = [(r, typed.get(r.code, ""), False) for r in readiness.blocking]
    if refused:
        rows += [(o.reason, o.override.reason, True) for o in readiness.overridden]
    return rows


def _exception_groups(summary: ExceptionSummary | None) -> list[tuple[str, Any]]:
    if summary is None:
        return []
    return [
        ("Deviations", summary.deviations),
        ("Overrides", summary.overrides),
        ("Alerts", summary.alerts),
    ]


def _context(actor: User, view: selectors.SessionView, **extra: Any) -> dict[str, Any]:
    discharge = _discharge_panel(
        view,
        extra.pop("discharge_form", None),
        extra.pop("recovery_forms", None),
        extra.pop("refused", None),
    )
    extra.setdefault("scale_forms", session_scale_forms())
    extra.setdefault("pre_form", pre_session_form())
    exceptions = (
        derive.exception_summary(view.session, timezone.now())
        if view.session.status == "discharged"
        else None
    )
    initial = _checklist_initial(actor, view)
    return {
        "checklist_initial": initial,
        "substance_rows": [
            (name, label, initial.get(name)) for name, label in SUBSTANCE_QUESTION_FIELDS
        ],
        **discharge,
        "taken_today_choices": TAKEN_TODAY_CHOICES,
        "open_to_sign": derive.open_alerts_to_sign(view.session)
        if view.session.status == "discharged"
        else [],
        "scale_rows": _scale_rows(view),
        "exceptions": exceptions,
        "exception_groups": _exception_groups(exceptions),
        "max_pause": derive.max_pause_of(view.session),
        "attestation": getattr(view.session, "attestation", None)
        if view.session.is_signed
        else None,
        "dose_limits": derive.hard_dose_limits(view.session),
        "titration": _titration_panel(view),
        "last_weight": selectors.last_weight(view.session),
        "v": view,
        "s": view.session,
        "patient": view.session.patient,
        "can_sign": actor.can(Capability.SIGN_SESSION),
        "can_override": actor.can(Capability.OVERRIDE_LIMITS),
        "todays_cssrs": derive.todays_cssrs(view.session, timezone.now())
        if actor.can(Capability.OVERRIDE_LIMITS)
        else [],
        "side_effect_kinds": SideEffectKind.choices,
        "severities": Severity.choices,
        "poll_seconds": POLL_SECONDS,
        **extra,
    }


def _swap(request: HttpRequest, actor: User, pk: int, card: str, **extra: Any) -> HttpResponse:
    """An htmx action's answer: the session region drawn again, the messages out of band.

    It stands for the redirect's page load, so it is an audited read like that page."""
    view = selectors.session_view(actor, pk)
    selectors.prefetch_record_lines(view.session)
    ctx = _context(actor, view, curve_svg=_curve_svg(view), acted=card, **extra)
    return render(request, "treatments/_session_swap.html", ctx)


def _refused(request: HttpRequest, card: str, problems: list[str]) -> HttpResponse:
    """An htmx action refused: only the card's errors box, so what was typed stays (and the
    last action's messages are cleared, out of band: they no longer describe the page)."""
    ctx = {"here": card, "errors_in": card, "action_errors": problems}
    response = render(request, "treatments/_refusal.html", ctx)
    return reswap(retarget(response, f"#{card}-errors"), "outerHTML")


def _poll(request: HttpRequest, actor: User, pk: int) -> HttpResponse:
    """The open page's automatic refresh: nothing (204) while the session is at the version
    the page shows, else the session region drawn again (an audited read)."""
    session = selectors.get_session(actor, pk, audit=False)
    if request.GET.get("version") == str(session.version):
        return HttpResponse(status=204)
    view = selectors.session_view(actor, pk)
    selectors.prefetch_record_lines(view.session)
    ctx = _context(actor, view, curve_svg=_curve_svg(view))
    return render(request, "treatments/_session_page.html", ctx)


@login_required
@require_GET
def session_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    if is_htmx(request) and "version" in request.GET:
        return _poll(request, actor, pk)
    heading = selectors.session_heading(actor, pk)  # scoped to the actor's clinic; audited

    def page() -> dict[str, Any]:
        session = selectors.get_session(actor, pk, audit=False)  # the read above audited it
        view = selectors.build_view(session, timezone.now())
        selectors.prefetch_record_lines(view.session)
        return _context(actor, view, curve_svg=_curve_svg(view))

    # The session region is drawn again only when the data changed or a few seconds passed
    # (`ops.freshness`): every action on the page is a write, so it shows at once.
    html, _ = freshness.render_memo(
        request, "session-page", (actor.pk, pk), "treatments/_session_page.html", page
    )
    ctx = {"session_html": html, "s": heading, "patient": heading.patient}
    return render(request, "treatments/session.html", ctx)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = staff_user(request)
    if action == "discharge":
        return _discharge_step(request, actor, pk)
    if action not in ACTIONS:
        raise PermissionDenied("Unknown action.")
    session = selectors.get_session(actor, pk, audit=False)
    form_class, call = ACTIONS[action]
    form = form_class(request.POST, clinic=_clinic(actor))
    result: object = None
    stale = False
    if form.is_valid():
        try:
            result = call(actor, session, form.session_version, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, label=_label)
        except services.SessionConflict as exc:
            form.add_error(None, exc.message)
            stale = True
    problems = _problems(form)
    if action == "vitals" and is_htmx(request):
        view = selectors.session_view(actor, pk, audit=False)
        return render(
            request,
            "treatments/_vitals.html",
            _context(
                actor,
                view,
                vitals_errors=problems,
                posted=request.POST if problems else {},
                # Back to systolic for the next row, only after a reading was entered: on the
                # page's first load the cursor stays put, so the patient banner stays in view.
                refocus=True,
                sync_version=_only_ours(request.POST, result is not None and not problems, view),
            ),
        )
    htmx = is_htmx(request)
    if htmx and problems and not stale:
        return _refused(request, CARD_OF[action], problems)
    if not htmx:
        for p in problems:
            messages.error(request, p)
    if not problems:
        if isinstance(result, services.Signed) and result.next_step and result.next_step.session:
            nxt = result.next_step.session
            messages.success(
                request, f"Signed. Next per protocol: session {nxt.number} on {nxt.on:%a %d %b}."
            )
        elif isinstance(result, services.EventCorrection):
            messages.success(
                request,
                f"Line marked entered in error; delivered now {result.delivered_mg:.1f} mg, "
                f"pump {result.state.value.replace('_', ' ')}.",
            )
        elif isinstance(result, services.EventResult) and result.flags:
            for f in result.flags:
                messages.warning(request, f.message)
        else:
            messages.success(request, "Saved.")
    if htmx:  # a stale page is drawn again, with the refusal on the card
        card = CARD_OF[action]
        return _swap(request, actor, pk, card, action_errors=problems, errors_in=card)
    return redirect("treatments:session", pk=pk)


def _discharge_step(request: HttpRequest, actor: User, pk: int) -> HttpResponse:
    """The discharge-readiness step: both recovery scores and the assessment in one submit.

    Saved (or discharged): back to the page. Refused, whatever the reason (an unanswered
    Aldrete or PADSS item, a discharge the core does not allow yet, a stale page): the page is
    drawn again with the step as the nurse filled it in, and the reasons as one list.
    """
    session = selectors.get_session(actor, pk, audit=False)
    form = actions.DischargeForm(request.POST, clinic=_clinic(actor))
    recovery = recovery_score_forms(RECOVERY, request.POST)
    refused: DischargeReadiness | None = None
    stale = False
    valid = [f.is_valid() for f in (form, *recovery)]
    if all(valid):
        try:
            step = services.record_discharge_step(
                actor,
                session,
                form.session_version,
                recovery_answers={f.code: f.answers() for f in recovery},
                **form.service_kwargs(),
            )
        except services.NotReadyToLeave as exc:
            refused = exc.readiness
        except services.RecoveryScoresRefused as exc:
            for f in recovery:
                if f.code in exc.by_scale:
                    add_service_errors(f, exc.by_scale[f.code], label=_label)
        except ValidationError as exc:
            add_service_errors(form, exc, label=_label)
        except services.SessionConflict as exc:
            form.add_error(None, exc.message)
            stale = True
        else:
            left = step.record.discharged_at is not None
            messages.success(request, "Discharged." if left else "Discharge assessment saved.")
            if is_htmx(request):
                return _swap(request, actor, pk, "discharge")
            return redirect(f"{reverse('treatments:session', args=[pk])}#discharge")
    if is_htmx(request):
        extra = {"discharge_form": form, "recovery_forms": recovery, "refused": refused}
        if stale:  # the page is drawn again, the step as the nurse filled it in
            return _swap(request, actor, pk, "discharge", **extra)
        # Refused: only the step is drawn again, as filled in, with the reasons as one list.
        view = selectors.session_view(actor, pk, audit=False)
        response = render(
            request, "treatments/_session_discharge.html", _context(actor, view, **extra)
        )
        return reswap(retarget(response, "#discharge"), "outerHTML")
    view = selectors.session_view(actor, pk, audit=False)
    ctx = _context(
        actor,
        view,
        discharge_form=form,
        recovery_forms=recovery,
        refused=refused,
        curve_svg=_curve_svg(view),
    )
    return render(request, "treatments/session.html", ctx, status=422)


@login_required
@require_POST
def record_scale(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """One chair-side scale from its structured form; htmx swaps in the score and flags."""
    actor = staff_user(request)
    session = selectors.get_session(actor, pk, audit=False)
    if code not in SESSION_SCALE_CODES:
        raise Http404("No such session scale.")
    form = SessionScaleForm(code, request.POST, clinic=_clinic(actor))
    recorded = None
    if form.is_valid() and (version := _posted_version(request.POST, form)) is not None:
        try:
            recorded = services.record_scale(
                actor,
                session,
                version,
                instrument=code,
                answers=form.answers(),
                administered_at=form.cleaned_data["administered_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, label=_label)
        except services.SessionConflict as exc:
            form.add_error(None, exc.message)
    if recorded is not None and not is_htmx(request):
        messages.success(request, f"{form.instrument.name} recorded: {recorded.total}.")
        return redirect("treatments:session", pk=pk)
    view = selectors.session_view(actor, pk, audit=False)
    ctx = _context(
        actor,
        view,
        scale_forms=session_scale_forms(None if recorded else form),
        recorded=recorded,
        recorded_name=form.instrument.name,
        open_scale=code,
        sync_version=_only_ours(request.POST, recorded is not None, view),
    )
    if is_htmx(request):
        return render(request, "treatments/_session_scales.html", ctx)
    ctx["curve_svg"] = _curve_svg(view)
    return render(request, "treatments/session.html", ctx, status=422)


@login_required
@require_POST
def pre_session_questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient's GAD-7 entered on the session page; back to the session with the result."""
    actor = staff_user(request)
    session = selectors.get_session(actor, pk, audit=False)
    form = pre_session_form(request.POST, clinic=_clinic(actor))
    if form.is_valid() and (version := _posted_version(request.POST, form)) is not None:
        try:
            response = services.record_pre_session_questionnaire(
                actor,
                session,
                version,
                answers=form.answers(),
                administered_at=form.cleaned_data["administered_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, label=_label)
        except services.SessionConflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"{form.instrument.name} recorded: {response.total} ({response.severity})."
            )
            if is_htmx(request):
                return _swap(request, actor, pk, "checklist")
            return redirect(f"{reverse('treatments:session', args=[pk])}#checklist")
    if is_htmx(request):  # only the questionnaire is drawn again, with its errors
        swap = _swap(request, actor, pk, "checklist", pre_form=form)
        target = "#pre-session-questionnaire"
        return reswap(reselect(retarget(swap, target), target), "outerHTML")
    view = selectors.session_view(actor, pk, audit=False)
    ctx = _context(actor, view, pre_form=form, curve_svg=_curve_svg(view))
    return render(request, "treatments/session.html", ctx, status=422)


@login_required
@require_POST
def check_in(request: HttpRequest, appointment_pk: int) -> HttpResponse:
    actor = staff_user(request)
    appt = selectors.get_appointment(actor, appointment_pk)
    try:
        session = services.check_in(actor, appt)
    except ValidationError as exc:
        for p in _errors(exc):
            messages.error(request, p)
        return redirect("treatments:board")
    clinical = actor.can(Capability.VIEW_CLINICAL)
    ok, text = course_gates.check_in_message(session.patient, timezone.now(), clinical=clinical)
    (messages.success if ok else messages.warning)(request, text)
    return redirect("treatments:session", pk=session.pk)


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)

    def rows() -> dict[str, Any]:
        found, patient_ids = selectors.board_unaudited(actor)
        return {"rows": found, "now": timezone.now(), "memo_extra": patient_ids}

    # Polled every 10 s by every open board: drawn again only when the data changed or a
    # few seconds passed (`ops.freshness`); every read is audited all the same.
    html, patient_ids = freshness.render_memo(
        request, "chair-board", actor.pk, "treatments/_board.html", rows
    )
    selectors.audit_board(actor, patient_ids)
    if is_htmx(request):
        return HttpResponse(html)
    return render(request, "treatments/board.html", {"board_html": html})


@login_required
@require_GET
def instructions(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    view = selectors.session_view(actor, pk)
    return render(request, "treatments/instructions.html", _context(actor, view))
