"""Session pages: the chair-side session page, the chair board, check-in, discharge sheet.

Thin: parse the form, call a service or selector, render. Every form posts the session
`version` it was rendered with; a stale one shows "someone else changed this session".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time
from django.views.decorators.http import require_GET, require_POST

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import get_instrument, moaas_sedation_flags
from ketaflow.clinical.pk import get_model, simulate_record
from ketaflow.courses.clock import clinic_zone
from ketaflow.lib.requests import staff_user
from ketaflow.pk_explorer.charts import curve_figure, inline_svg
from ketaflow.treatments import selectors, services
from ketaflow.treatments.forms import SESSION_SCALE_CODES, SessionScaleForm, session_scale_forms
from ketaflow.treatments.models import Severity, SideEffectKind
from ketaflow.web.forms import add_service_errors
from ketaflow.web.htmx import is_htmx

PK_MODEL = "kamp"  # the clinic's default model for racemic IV


class FormError(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _num(post: QueryDict, name: str) -> float | None:
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise FormError({name: ["Enter a number."]}) from None


def _int(post: QueryDict, name: str) -> int | None:
    value = _num(post, name)
    if value is None:
        return None
    if value != int(value):
        raise FormError({name: ["Enter a whole number."]})
    return int(value)


def _when(actor: User, post: QueryDict, name: str) -> datetime | None:
    """`HH:MM` today in the clinic's zone, or an ISO date-time; blank = now."""
    raw = (post.get(name) or "").strip()
    if not raw:
        return None
    clinic = actor.clinic
    assert clinic is not None
    zone = clinic_zone(clinic)
    t = parse_time(raw) if len(raw) <= 8 else None
    if t is not None:
        return datetime.combine(timezone.now().astimezone(zone).date(), t, tzinfo=zone)
    try:
        dt = parse_datetime(raw)
    except ValueError:
        dt = None
    if dt is None:
        raise FormError({name: ["Enter a time as HH:MM."]})
    return dt if dt.tzinfo else dt.replace(tzinfo=zone)


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


ACTIONS: dict[str, Callable[[User, Any, int, QueryDict], object]] = {
    "checklist": lambda a, s, v, p: services.save_checklist(
        a,
        s,
        v,
        last_food_at=_when(a, p, "last_food_at"),
        last_clear_liquid_at=_when(a, p, "last_clear_liquid_at"),
        escort_name=p.get("escort_name", ""),
        escort_phone=p.get("escort_phone", ""),
        medication_changes_reviewed=_bool(p, "medication_changes_reviewed"),
        medication_changes=p.get("medication_changes", ""),
        taken_today=p.getlist("taken_today"),
        weight_kg=_num(p, "weight_kg"),
        pregnancy_test_positive=_tri(p, "pregnancy_test_positive"),
    ),
    "order": lambda a, s, v, p: services.enter_order(
        a,
        s,
        v,
        mg_per_kg=_num(p, "mg_per_kg"),
        dose_mg=_num(p, "dose_mg"),
        weight_basis=p.get("weight_basis", "actual"),
        minutes=_num(p, "minutes"),
        concentration_mg_per_ml=_num(p, "concentration_mg_per_ml"),
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
        rate_ml_per_h=_num(p, "rate_ml_per_h"),
        bolus_mg=_num(p, "bolus_mg"),
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
        aldrete_score=_int(p, "aldrete_score"),
        padss_score=_int(p, "padss_score"),
        dissociation_resolved=_tri(p, "dissociation_resolved"),
        escort_present=_bool(p, "escort_present"),
        told_not_to_drive=_bool(p, "told_not_to_drive"),
        overrides=_overrides(p),
        discharge=_bool(p, "discharge"),
    ),
    "sign": lambda a, s, v, p: services.sign_session(a, s, v),
    "amend": lambda a, s, v, p: services.amend(
        a, s, v, text=p.get("text", ""), reason=p.get("reason", "")
    ),
}


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{'' if f == '__all__' else f + ': '}{m}"
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


def _context(actor: User, view: selectors.SessionView, **extra: Any) -> dict[str, Any]:
    extra.setdefault("scale_forms", session_scale_forms())
    return {
        "scale_rows": _scale_rows(view),
        "v": view,
        "s": view.session,
        "patient": view.session.patient,
        "can_sign": actor.can(Capability.SIGN_SESSION),
        "can_override": actor.can(Capability.OVERRIDE_LIMITS),
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
        problems = [f"{f}: {m}" for f, ms in exc.errors.items() for m in ms]
    except ValidationError as exc:
        problems = _errors(exc)
    except services.SessionConflict as exc:
        problems = [exc.message]
    if action == "vitals" and is_htmx(request):
        view = selectors.session_view(actor, pk, audit=False)
        return render(
            request,
            "treatments/_vitals.html",
            _context(actor, view, vitals_errors=problems, posted=request.POST if problems else {}),
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
        # Only our own write moved the version on: the page's other forms may follow it.
        sync_version=recorded is not None
        and version is not None
        and view.session.version == version + 1,
    )
    if is_htmx(request):
        return render(request, "treatments/_session_scales.html", ctx)
    ctx["curve_svg"] = _curve_svg(view)
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
