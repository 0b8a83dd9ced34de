"""Session pages: the chair-side session page, the chair board, check-in, discharge sheet.

Thin: parse the form, call a service or selector, render. Every form posts the session
`version` it was rendered with; a stale one shows "someone else changed this session".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time
from django.views.decorators.http import require_GET, require_POST

from ketaflow.accounts.models import User
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import get_instrument, moaas_sedation_flags
from ketaflow.clinical.pk import get_model, simulate_record
from ketaflow.clinical.session_exceptions import ExceptionSummary
from ketaflow.lib.charts import curve_figure, inline_svg
from ketaflow.lib.clock import clinic_zone
from ketaflow.lib.forms import add_service_errors
from ketaflow.lib.htmx import is_htmx
from ketaflow.treatments import derive, selectors, services
from ketaflow.treatments.forms import (
    SESSION_SCALE_CODES,
    SessionScaleForm,
    pre_session_form,
    session_scale_forms,
)
from ketaflow.treatments.models import Severity, SideEffectKind

PK_MODEL = "kamp"  # the clinic's default model for racemic IV
TAKEN_TODAY_CHOICES = (
    ("benzodiazepine", "benzodiazepine"),
    ("z_drug", "Z-drug"),
    ("opioid", "opioid"),
    ("psychostimulant", "stimulant"),
    ("maoi", "MAOI"),
)


class FormError(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


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


def _num(post: QueryDict, name: str) -> float | None:
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise FormError({name: ["Enter a number."]}) from None


def _dec(post: QueryDict, name: str) -> Decimal | None:
    """A decimal as typed (no float on the way to a two-decimal column); "," as a point too."""
    raw = (post.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise FormError({name: ["Enter a number, e.g. 70.4."]}) from None
    if not value.is_finite():
        raise FormError({name: ["Enter a number, e.g. 70.4."]})
    return value


def _int(post: QueryDict, name: str) -> int | None:
    value = _num(post, name)
    if value is None:
        return None
    if value != int(value):
        raise FormError({name: ["Enter a whole number."]})
    return int(value)


def _when(
    actor: User, post: QueryDict, name: str, *, bare_future: str = "refuse"
) -> datetime | None:
    """`HH:MM` in the clinic's zone, or a date and time (`YYYY-MM-DD HH:MM`); blank = now.

    A bare time later than now is either refused with a clear message (`bare_future="refuse"`,
    charting something that happened) or read as yesterday (`"yesterday"`: "last food 21:40"
    asked at 08:30 is last night).
    """
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    clinic = actor.clinic
    assert clinic is not None
    zone = clinic_zone(clinic)
    now = timezone.now().astimezone(zone)
    t = parse_time(raw) if len(raw) <= 8 else None
    if t is not None:
        when = datetime.combine(now.date(), t, tzinfo=zone)
        if when > now + services.FUTURE_TOLERANCE:
            if bare_future == "yesterday":
                return when - timedelta(days=1)
            raise FormError(
                {
                    name: [
                        f"{raw} is later than now ({now:%H:%M}): give a time that has passed, "
                        "or leave it blank for now."
                    ]
                }
            )
        return when
    try:
        dt = parse_datetime(raw.replace(" ", "T", 1))
    except ValueError:
        dt = None
    if dt is None:
        raise FormError({name: ["Enter a time as HH:MM (or a date and time, YYYY-MM-DD HH:MM)."]})
    dt = dt if dt.tzinfo else dt.replace(tzinfo=zone)
    if dt > now + services.FUTURE_TOLERANCE:
        raise FormError(
            {name: [f"{raw} is later than now ({now:%H:%M}): give a time that has passed."]}
        )
    return dt


def _given(post: QueryDict, name: str, value: Callable[[], Any]) -> Any:
    """The parsed value if the form sent this field, else "keep the saved answer"."""
    return value() if name in post else services.UNCHANGED


def _bool(post: QueryDict, name: str) -> bool:
    return post.get(name) in ("on", "true", "1", "yes")


def _tri(post: QueryDict, name: str) -> bool | None:
    raw = post.get(name)
    return None if raw in (None, "", "unknown") else raw in ("yes", "true", "on", "1")


def _overrides(post: QueryDict) -> dict[str, str]:
    found = {}
    for key in post:
        value = str(post.get(key, "")).strip()
        if key.startswith("override:") and value:
            found[key.removeprefix("override:")] = value
    return found


def _version(post: QueryDict) -> int:
    try:
        return int(post.get("version", ""))
    except ValueError:
        raise FormError({"version": ["Reload the page."]}) from None


#: The day-of-treatment questions on the checklist form: (answer field, label).
SUBSTANCE_QUESTION_FIELDS = (
    ("alcohol_today", "Alcohol today"),
    ("drugs_today", "Recreational drugs today"),
    ("intoxication_signs", "Signs of intoxication"),
)


ACTIONS: dict[str, Callable[[User, Any, int, QueryDict], object]] = {
    "checklist": lambda a, s, v, p: services.save_checklist(
        a,
        s,
        v,
        last_food_at=_given(
            p, "last_food_at", lambda: _when(a, p, "last_food_at", bare_future="yesterday")
        ),
        last_clear_liquid_at=_given(
            p,
            "last_clear_liquid_at",
            lambda: _when(a, p, "last_clear_liquid_at", bare_future="yesterday"),
        ),
        escort_name=_given(p, "escort_name", lambda: p.get("escort_name", "")),
        escort_phone=_given(p, "escort_phone", lambda: p.get("escort_phone", "")),
        # Check boxes: the form sends a hidden empty value first, so "present" = "answered".
        medication_changes_reviewed=_given(
            p, "medication_changes_reviewed", lambda: _bool(p, "medication_changes_reviewed")
        ),
        medication_changes=_given(p, "medication_changes", lambda: p.get("medication_changes", "")),
        taken_today=_given(p, "taken_today", lambda: [t for t in p.getlist("taken_today") if t]),
        alcohol_today=_given(p, "alcohol_today", lambda: _tri(p, "alcohol_today")),
        drugs_today=_given(p, "drugs_today", lambda: _tri(p, "drugs_today")),
        intoxication_signs=_given(p, "intoxication_signs", lambda: _tri(p, "intoxication_signs")),
        weight_kg=_dec(p, "weight_kg"),
        pregnancy_test_positive=_tri(p, "pregnancy_test_positive"),
    ),
    "substance_decision": lambda a, s, v, p: services.record_substance_decision(
        a, s, v, decision=p.get("decision", ""), reason=p.get("reason", "")
    ),
    "order": lambda a, s, v, p: services.enter_order(
        a,
        s,
        v,
        mg_per_kg=_num(p, "mg_per_kg"),
        dose_mg=_num(p, "dose_mg"),
        weight_basis=p.get("weight_basis") or None,
        weight_basis_reason=p.get("weight_basis_reason", ""),
        minutes=_num(p, "minutes"),
        concentration_mg_per_ml=_num(p, "concentration_mg_per_ml"),
        max_dose_mg=_num(p, "max_dose_mg"),
        confirm=_bool(p, "confirm"),
        overrides=_overrides(p),
    ),
    "confirm": lambda a, s, v, p: services.confirm_order(a, s, v, overrides=_overrides(p)),
    "event": lambda a, s, v, p: services.record_administration(
        a,
        s,
        v,
        kind=p.get("kind", ""),
        at=_when(a, p, "at"),
        # One pump form carries the rate box for every button: only a start or a rate change
        # has a rate; a bolus form has its own mg.
        rate_ml_per_h=_num(p, "rate_ml_per_h")
        if p.get("kind") in ("start", "rate_change")
        else None,
        bolus_mg=_num(p, "bolus_mg") if p.get("kind") == "bolus" else None,
        reason=p.get("reason", ""),
    ),
    "dosing_complete": lambda a, s, v, p: services.complete_dosing(a, s, v),
    "vitals": lambda a, s, v, p: services.record_vitals(
        a,
        s,
        v,
        sbp=_num(p, "sbp"),
        dbp=_num(p, "dbp"),
        hr=_num(p, "hr"),
        spo2=_num(p, "spo2"),
        rr=_num(p, "rr"),
        on_oxygen=_bool(p, "on_oxygen"),
        oxygen_l_per_min=_num(p, "oxygen_l_per_min"),
        taken_at=_when(a, p, "taken_at"),
    ),
    "ack": lambda a, s, v, p: services.acknowledge_alert(
        a, s, v, _int(p, "reading_id") or 0, p.get("code", ""), p.get("note", "")
    ),
    "strike_event": lambda a, s, v, p: services.mark_event_entered_in_error(
        a, s, v, _int(p, "event_id") or 0, p.get("reason", "")
    ),
    "side_effect": lambda a, s, v, p: services.record_side_effect(
        a,
        s,
        v,
        kind=p.get("kind", ""),
        severity=p.get("severity", ""),
        onset_at=_when(a, p, "onset_at"),
        other_text=p.get("other_text", ""),
    ),
    "resolve": lambda a, s, v, p: services.resolve_side_effect(a, s, v, _int(p, "effect_id") or 0),
    "rescue": lambda a, s, v, p: services.record_rescue(
        a, s, v, drug=p.get("drug", ""), dose=p.get("dose", ""), route=p.get("route", "")
    ),
    "rescue_ack": lambda a, s, v, p: services.acknowledge_rescue(
        a, s, v, _int(p, "rescue_id") or 0
    ),
    "note": lambda a, s, v, p: services.add_note(a, s, v, p.get("text", "")),
    "discharge": lambda a, s, v, p: services.record_discharge(
        a,
        s,
        v,
        aldrete_score=_given(p, "aldrete_score", lambda: _int(p, "aldrete_score")),
        padss_score=_given(p, "padss_score", lambda: _int(p, "padss_score")),
        dissociation_resolved=_given(
            p, "dissociation_resolved", lambda: _tri(p, "dissociation_resolved")
        ),
        escort_present=_given(p, "escort_present", lambda: _bool(p, "escort_present")),
        told_not_to_drive=_given(p, "told_not_to_drive", lambda: _bool(p, "told_not_to_drive")),
        overrides=_overrides(p),
        discharge=_bool(p, "discharge"),
    ),
    "sign": lambda a, s, v, p: services.sign_session(a, s, v, p.get("attestation", "")),
    "amend": lambda a, s, v, p: services.amend(
        a, s, v, text=p.get("text", ""), reason=p.get("reason", "")
    ),
}


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{'' if f == '__all__' else _label(f) + ': '}{m}"
            for f, ms in exc.message_dict.items()
            for m in ms
        ]
    return list(exc.messages)


def _curve_svg(view: selectors.SessionView) -> str | None:
    """Predicted plasma ketamine for the record so far (IV), with the order's weight."""
    order = view.order
    if view.session.route != "iv" or order is None or not view.record.events:
        return None
    if not order.actual_weight_kg:
        return None
    try:
        curve = simulate_record(
            get_model(PK_MODEL), order.actual_weight_kg, view.record, until=view.now, after_min=120
        )
    except ClinicalInputError:  # e.g. a weight outside the model's range: no curve, no error
        return None
    return inline_svg(curve_figure(curve))


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


def _exception_groups(summary: ExceptionSummary | None) -> list[tuple[str, Any]]:
    if summary is None:
        return []
    return [
        ("Deviations", summary.deviations),
        ("Overrides", summary.overrides),
        ("Alerts", summary.alerts),
    ]


def _context(actor: User, view: selectors.SessionView, **extra: Any) -> dict[str, Any]:
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
        "last_discharge": derive.latest_discharge(view.session),
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
        **extra,
    }


@login_required
@require_GET
def session_page(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    view = selectors.session_view(actor, pk)
    ctx = _context(actor, view, curve_svg=_curve_svg(view))
    return render(request, "treatments/session.html", ctx)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = staff_user(request)
    if action not in ACTIONS:
        raise PermissionDenied("Unknown action.")
    session = selectors.get_session(actor, pk, audit=False)
    problems: list[str] = []
    result: object = None
    try:
        result = ACTIONS[action](actor, session, _version(request.POST), request.POST)
    except FormError as exc:
        problems = [f"{_label(f)}: {m}" for f, ms in exc.errors.items() for m in ms]
    except ValidationError as exc:
        problems = _errors(exc)
    except services.SessionConflict as exc:
        problems = [exc.message]
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
                sync_version=_only_ours(request.POST, result is not None and not problems, view),
            ),
        )
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
    return redirect("treatments:session", pk=pk)


@login_required
@require_POST
def record_scale(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """One chair-side scale from its structured form; htmx swaps in the score and flags."""
    actor = staff_user(request)
    session = selectors.get_session(actor, pk, audit=False)
    if code not in SESSION_SCALE_CODES:
        raise Http404("No such session scale.")
    form = SessionScaleForm(code, request.POST)
    recorded = None
    version = None
    if form.is_valid():
        try:
            version = _version(request.POST)
            when = _when(actor, request.POST, form.add_prefix("administered_at"))
            recorded = services.record_scale(
                actor,
                session,
                version,
                instrument=code,
                answers=form.answers(),
                administered_at=when,
            )
        except FormError as exc:
            for field, problems in exc.errors.items():
                form.add_error(field if field in form.fields else None, problems)
        except ValidationError as exc:
            add_service_errors(form, exc)
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
    form = pre_session_form(request.POST)
    if form.is_valid():
        try:
            response = services.record_pre_session_questionnaire(
                actor,
                session,
                _version(request.POST),
                answers=form.answers(),
                administered_at=_when(actor, request.POST, form.add_prefix("administered_at")),
            )
        except FormError as exc:
            for field, problems in exc.errors.items():
                form.add_error(field if field in form.fields else None, problems)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except services.SessionConflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"{form.instrument.name} recorded: {response.total} ({response.severity})."
            )
            return redirect(f"{reverse('treatments:session', args=[pk])}#checklist")
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
    return redirect("treatments:session", pk=session.pk)


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    rows = selectors.board(actor)
    template = "treatments/_board.html" if is_htmx(request) else "treatments/board.html"
    return render(request, template, {"rows": rows, "now": timezone.now()})


@login_required
@require_GET
def instructions(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff_user(request)
    view = selectors.session_view(actor, pk)
    return render(request, "treatments/instructions.html", _context(actor, view))
