"""Portal writes: links (issue, revoke), a patient's form, risk alerts, schedule rules, crisis text.

Staff writes check `require(actor, SEND_QUESTIONNAIRES, obj)` first. Patient writes have no
staff user: the secret link is the credential, and the audit event names the patient and
the link (`actor=None`, channel "portal" set by the portal views).

A patient's answers are scored by the core through the questionnaires service's
`score_response`, then stored as an `InstrumentResponse` with `rater=self` and no
`recorded_by`; a safety flag (PHQ-9 item 9 above 0) raises a `RiskAlert` at once through
`ketaflow.questionnaires.alerts` (the same path as a scale entered by staff), emailing the clinic's
nurses and prescribers through the outbox (`ketaflow.mail`), written with the answers and sent
by a background job after commit. A failed email never loses the patient's answers.

Links and emails point at `settings.KETAFLOW_PUBLIC_URL` unless a caller passes `base_url`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import get_instrument
from ketaflow.clinical.questionnaire_schedule import (
    SchedulePhase,
    check_patient_instrument,
)
from ketaflow.clinical.questionnaire_schedule import (
    ScheduleRule as CoreRule,
)
from ketaflow.courses.models import Appointment, AppointmentStatus, Course
from ketaflow.lib.clock import local
from ketaflow.lib.derived import patient_changed
from ketaflow.lib.errors import as_validation_error
from ketaflow.mail.services import queue_message
from ketaflow.patients.models import Patient
from ketaflow.portal import derive
from ketaflow.portal.models import (
    BadTokenAttempt,
    CrisisResources,
    LinkOrigin,
    PortalLink,
    RuleScope,
    ScheduleRule,
    patient_label,
)
from ketaflow.questionnaires.alerts import raise_risk_alert_if_needed
from ketaflow.questionnaires.models import Context, InstrumentResponse, RaterKind, RiskAlert
from ketaflow.questionnaires.services import score_response
from ketaflow.treatments import services as treatments
from ketaflow.treatments.models import (
    AssessmentDecision,
    RiskAssessment,
    RiskLevelChoice,
    TreatmentSession,
)
from ketaflow.treatments.risk import alerts_awaiting_assessment

MAX_LINK_DAYS = 30  # settings.KETAFLOW_PORTAL_LINK_DAYS is validated against the same bound
BAD_TOKEN_LIMIT = 10
BAD_TOKEN_WINDOW = timedelta(minutes=15)
MAX_TOKEN_LENGTH = 100


def link_days_default() -> int:
    """How long a new link works unless staff choose (KETAFLOW_PORTAL_LINK_DAYS, 1-30)."""
    return int(settings.KETAFLOW_PORTAL_LINK_DAYS)


def public_url() -> str:
    """Where patients and staff reach Ketaflow from outside (KETAFLOW_PUBLIC_URL).

    Links and emails use it rather than the address of the request that made them: a nurse
    on the clinic's internal hostname must not send a patient a link only the clinic reaches.
    """
    return str(settings.KETAFLOW_PUBLIC_URL)


def portal_path(raw: str) -> str:
    return reverse("portal:home", kwargs={"token": raw})


def portal_url(base_url: str | None, raw: str) -> str:
    return (base_url or public_url()).rstrip("/") + portal_path(raw)


# ---------------------------------------------------------------------------- links


def _instrument_codes(codes: Sequence[str]) -> list[str]:
    chosen: list[str] = []
    for code in codes:
        try:
            checked = check_patient_instrument(code)
        except ClinicalInputError as exc:
            raise ValidationError({"instruments": [exc.message]}) from exc
        if checked not in chosen:
            chosen.append(checked)
    return chosen


@dataclass(frozen=True)
class IssuedLink:
    link: PortalLink
    token: str  # shown once, never stored
    url: str


def _new_link(
    patient: Patient,
    *,
    origin: str,
    actor: User | None,
    instruments: list[str],
    now: datetime,
    days: int,
    email: str = "",
) -> tuple[PortalLink, str]:
    raw = PortalLink.new_secret()
    link = PortalLink.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        prefix=raw[:8],
        digest=PortalLink.hash(raw),
        instruments=instruments,
        origin=origin,
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=days),
        emailed_to=email,
    )
    return link, raw


LINK_EMAIL_KIND = "questionnaire_link"


def _link_email(patient: Patient, url: str, link: PortalLink, why: str) -> None:
    """Queue the link's email in the outbox, in the caller's transaction (once per link).

    The body holds the patient's secret link, so the outbox blanks it once sent.
    """
    clinic = patient.clinic
    expires = local(link.expires_at, clinic)
    body = (
        f"Hello {patient.preferred_name or patient.given_name},\n\n"
        f"{clinic.name} asks you to fill in {why}. It takes a few minutes on your phone:\n\n"
        f"{url}\n\n"
        f"The link is personal: please do not share it. It works until "
        f"{expires:%d %B %Y, %H:%M}.\n\n"
        "If you are thinking of harming yourself or feel unsafe, do not wait for the clinic "
        "to read your answers: call your local emergency number or a crisis line now.\n"
    )
    queue_message(
        clinic_id=clinic.pk,
        key=f"{LINK_EMAIL_KIND}:{link.pk}",
        kind=LINK_EMAIL_KIND,
        subject=f"{clinic.name}: your questionnaires",
        body=body,
        recipients=[patient.email],
        refs=[link.pk],
        secret=True,
        now=link.created_at,
    )


@transaction.atomic
def issue_link(
    actor: User,
    patient: Patient,
    *,
    base_url: str | None = None,
    instruments: Sequence[str] = (),
    expires_in_days: int | None = None,
    send_email: bool = False,
) -> IssuedLink:
    """A new secret link for one patient: forms asked for now plus whatever falls due.

    The token is returned once (to show or email) and only its hash is kept.
    """
    require(actor, Capability.SEND_QUESTIONNAIRES, patient)
    days = link_days_default() if expires_in_days is None else expires_in_days
    if not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationError({"expires_in_days": [f"Choose 1-{MAX_LINK_DAYS} days."]})
    codes = _instrument_codes(instruments)
    if send_email and not patient.email:
        raise ValidationError({"send_email": ["The patient has no email address on record."]})
    link, raw = _new_link(
        patient,
        origin=LinkOrigin.STAFF,
        actor=actor,
        instruments=codes,
        now=timezone.now(),
        days=days,
        email=patient.email if send_email else "",
    )
    url = portal_url(base_url, raw)
    if send_email:
        _link_email(patient, url, link, "some short questionnaires")
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=link,
        detail={"instruments": codes, "expires_in_days": days, "emailed": send_email},
    )
    return IssuedLink(link, raw, url)


@transaction.atomic
def revoke_link(actor: User, link: PortalLink) -> PortalLink:
    require(actor, Capability.SEND_QUESTIONNAIRES, link)
    link = PortalLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is not None:
        raise ValidationError({"link": ["This link was already revoked."]})
    link.revoked_at = timezone.now()
    link.revoked_by = actor
    link.save(update_fields=["revoked_at", "revoked_by"])
    record_event(actor=actor, action=Action.UPDATE, obj=link, detail={"revoked": True})
    return link


class LinkState:
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED = "locked"


@dataclass(frozen=True)
class LinkLookup:
    state: str
    link: PortalLink | None = None


def _locked(ip: str | None, now: datetime) -> bool:
    recent = BadTokenAttempt.objects.filter(ip_address=ip, at__gt=now - BAD_TOKEN_WINDOW)
    return recent.count() >= BAD_TOKEN_LIMIT


def open_link(raw: str, *, ip: str | None, now: datetime) -> LinkLookup:
    """The link for a token, or why not. Too many unknown tokens lock the address out of
    guessing: a locked-out address's unknown tokens are answered "locked" (not "unknown"), so
    guessing teaches nothing, while a real link still opens. Patients on a shared network (a
    hospital, a household, a mobile carrier's NAT) are not shut out by someone else's typos or
    guesses; a guess cannot succeed anyway (a link is 256 random bits).
    Expired and revoked links are named as such: they were real.
    """
    found = None
    if raw and len(raw) <= MAX_TOKEN_LENGTH:
        found = (
            PortalLink.objects.select_related("clinic", "patient__clinic")
            .filter(digest=PortalLink.hash(raw))
            .first()
        )
    if found is None:
        locked = _locked(ip, now)
        BadTokenAttempt.objects.create(at=now, ip_address=ip)
        return LinkLookup(LinkState.LOCKED if locked else LinkState.UNKNOWN)
    if found.revoked_at is not None:
        return LinkLookup(LinkState.REVOKED, found)
    if found.expires_at <= now:
        return LinkLookup(LinkState.EXPIRED, found)
    return LinkLookup(LinkState.OK, found)


def record_portal_view(link: PortalLink, page: str, **detail: Any) -> None:
    """Audit a page the patient opened through the link (patient as actor)."""
    record_event(
        actor=None,
        actor_label=patient_label(link),
        action=Action.VIEW,
        obj=link,
        detail={"page": page, **detail},
    )


# ---------------------------------------------------------------------------- forms open


@dataclass(frozen=True)
class OpenForm:
    """A form the patient may fill in through the link now, and why it is asked for."""

    code: str
    name: str
    due_since: Any = None  # a date, for scheduled forms
    course_id: int | None = None
    asked_by_staff: bool = False


def forms_open(link: PortalLink, now: datetime) -> list[OpenForm]:
    """Forms asked for on the link and not done since it was issued, then scheduled ones due."""
    patient = link.patient
    forms: dict[str, OpenForm] = {}
    done_since_issue = set(
        InstrumentResponse.objects.filter(patient=patient, administered_at__gte=link.created_at)
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .values_list("instrument", flat=True)
    )
    for code in link.instruments:
        if code not in done_since_issue:
            forms[code] = OpenForm(code, get_instrument(code).name, asked_by_staff=True)
    today = derive.clinic_today(patient.clinic, now)
    for due in derive.open_for_patient(patient, today):
        code = due.occurrence.instrument
        if code not in forms:
            forms[code] = OpenForm(
                code, get_instrument(code).name, due.occurrence.due_on, due.course.pk
            )
    return list(forms.values())


def _context(patient: Patient, now: datetime, form: OpenForm, link: PortalLink) -> tuple[str, str]:
    """Pre-session if the patient has a session later today, else follow-up."""
    clinic = patient.clinic
    today = derive.clinic_today(clinic, now)
    upcoming = (
        Appointment.objects.filter(
            course__patient=patient,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
            starts_at__gte=now,
        )
        .order_by("starts_at")
        .first()
    )
    if upcoming is not None and local(upcoming.starts_at, clinic).date() == today:
        return Context.PRE_SESSION, f"appointment:{upcoming.pk}"
    if form.course_id is not None and form.due_since is not None:
        return Context.FOLLOW_UP, f"schedule:{form.course_id}:{form.due_since.isoformat()}"
    return Context.FOLLOW_UP, f"portal-link:{link.pk}"


# ---------------------------------------------------------------------------- submitting


@dataclass(frozen=True)
class Submitted:
    response: InstrumentResponse
    alerts: list[RiskAlert]


@transaction.atomic
def submit_form(
    link: PortalLink,
    instrument_code: str,
    answers: Mapping[str, int | None],
    *,
    now: datetime,
    base_url: str | None = None,
) -> Submitted:
    """Score the patient's answers with the core and store them; raise alerts for safety flags.

    `answers` maps item keys (e.g. "item_9", "difficulty") to answers; a missing required
    answer is refused by the core with the item named (never scored as 0).
    """
    link = PortalLink.objects.select_for_update().select_related("patient__clinic").get(pk=link.pk)
    if link.revoked_at is not None or link.expires_at <= now:
        raise PermissionDenied("This link no longer works.")
    try:
        code = check_patient_instrument(instrument_code)
        form = next((f for f in forms_open(link, now) if f.code == code), None)
        if form is None:
            raise ClinicalInputError(
                f"{get_instrument(code).name} is not asked for on this link", field="instrument"
            )
        score = score_response(code, answers=dict(answers))
    except ClinicalInputError as exc:
        raise as_validation_error(exc) from exc
    patient = link.patient
    instrument = get_instrument(code)
    context, ref = _context(patient, now, form, link)
    response = InstrumentResponse(
        patient=patient,
        recorded_by=None,
        instrument=code,
        licence=instrument.licence.value,
        answers=list(score.answers),
        total=score.total,
        severity=score.severity or "",
        band_set=score.band_set or "",
        flags=[f.to_dict() for f in score.flags],
        subscales=dict(score.subscales),
        sources=[s.key for s in score.sources],
        rater=RaterKind.SELF,
        administered_at=now,
        context=context,
        context_ref=ref,
    )
    response.full_clean(exclude=["patient", "recorded_by"])
    response.save()
    patient_changed(response.patient_id)
    detail: dict[str, Any] = {
        "instrument": code,
        "context": context,
        "total": score.total,
        "severity": score.severity,
        "link": link.pk,
    }
    if score.has_safety_flag:
        detail["safety_flags"] = [f["code"] for f in response.safety_flags]
    record_event(
        actor=None,
        actor_label=patient_label(link),
        action=Action.CREATE,
        obj=response,
        detail=detail,
    )
    link.last_used_at = now
    link.save(update_fields=["last_used_at"])
    alerts = raise_risk_alert_if_needed(response, link=link, now=now, base_url=base_url)
    return Submitted(response, alerts)


# ---------------------------------------------------------------------------- risk alerts


@transaction.atomic
def acknowledge_alert(actor: User, alert: RiskAlert, action_note: str) -> RiskAlert:
    """Close an alert with what was done (e.g. called the patient, risk assessment booked)."""
    require(actor, Capability.SEND_QUESTIONNAIRES, alert)
    note = action_note.strip()
    if not note:
        raise ValidationError({"action_note": ["Say what was done about this alert."]})
    alert = RiskAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        raise ValidationError({"action_note": ["This alert was already acknowledged."]})
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor
    alert.action_note = note[:2000]
    alert._history_user = actor  # type: ignore[attr-defined]
    alert.save()
    record_event(actor=actor, action=Action.UPDATE, obj=alert, detail={"acknowledged": True})
    return alert


@transaction.atomic
def record_risk_assessment(
    actor: User,
    session: TreatmentSession,
    version: int,
    *,
    plan: str,
    decision: str,
    risk_level: str = "",
    cssrs_response_id: int | None = None,
) -> RiskAssessment:
    """A prescriber's structured suicide risk assessment before this session; resolves alerts.

    Today's C-SSRS screen (`cssrs_response_id`) or a clinician risk level (`risk_level`; if
    both are given, the clinician's level is recorded and the screen kept with it), the plan
    (required) and the decision. Every alert waiting for an assessment is resolved with this
    one linked (and acknowledged, if it was open). "Defer" keeps this session's start blocked
    (the checklist reads the latest assessment of the session).
    """
    require(actor, Capability.OVERRIDE_LIMITS, session.patient)
    row = treatments.open_checklist(actor, session, version)
    errors: dict[str, list[str]] = {}
    plan = plan.strip()
    if not plan:
        errors["plan"] = ["Write the plan (kept with the assessment)."]
    if decision not in AssessmentDecision.values:
        errors["decision"] = ["Choose proceed or defer."]
    now = timezone.now()
    screen = None
    if cssrs_response_id is not None:
        today = local(now, row.patient.clinic).date()
        screen = (
            InstrumentResponse.objects.filter(
                pk=cssrs_response_id, patient_id=row.patient_id, instrument="cssrs"
            )
            .exclude(status=RecordStatus.ENTERED_IN_ERROR)
            .first()
        )
        if screen is None or local(screen.administered_at, row.patient.clinic).date() != today:
            errors["cssrs_response_id"] = ["Choose a C-SSRS screen of this patient from today."]
    level = risk_level.strip().lower() or (screen.risk_level if screen is not None else "")
    if not level and "cssrs_response_id" not in errors:
        errors["risk_level"] = ["Give today's C-SSRS screen or your risk level."]
    elif level and level not in RiskLevelChoice.values:
        errors["risk_level"] = [f"Choose one of: {', '.join(RiskLevelChoice.values)}."]
    if errors:
        raise ValidationError(errors)
    assessment = RiskAssessment.objects.create(
        clinic_id=row.clinic_id,
        patient_id=row.patient_id,
        session=row,
        cssrs_response=screen,
        risk_level=level,
        plan=plan[:4000],
        decision=decision,
        assessed_by=actor,
        assessed_at=now,
    )
    note = (
        f"Suicide risk assessment by the prescriber: risk {level}, "
        f"{AssessmentDecision(decision).label.lower()}. Plan: {plan}"
    )[:2000]
    resolved = []
    for alert in alerts_awaiting_assessment(row.patient_id, now, session_id=row.pk):
        alert = RiskAlert.objects.select_for_update().get(pk=alert.pk)
        alert.assessment = assessment
        if alert.acknowledged_at is None:
            alert.acknowledged_at = now
            alert.acknowledged_by = actor
            alert.action_note = note
        alert._history_user = actor
        alert.save()
        record_event(
            actor=actor,
            action=Action.UPDATE,
            obj=alert,
            detail={"acknowledged": True, "assessment": assessment.pk},
        )
        resolved.append(alert.pk)
    treatments.checklist_changed(
        actor,
        row,
        "risk_assessment",
        assessment,
        decision=decision,
        risk_level=level,
        resolved_alerts=resolved,
    )
    return assessment


# ---------------------------------------------------------------------------- rules


@transaction.atomic
def add_rule(
    actor: User,
    *,
    scope: str,
    instrument: str,
    phase: str,
    offsets_days: Sequence[int],
    window_days: int,
    reason: str,
    repeat_every_days: int | None = None,
    protocol_code: str = "",
    course: Course | None = None,
) -> ScheduleRule:
    """A clinic rule (validated by the core); it applies from now to what is not yet due."""
    require(actor, Capability.SEND_QUESTIONNAIRES)
    if scope not in RuleScope.values:
        raise ValidationError({"scope": [f"Choose one of: {', '.join(RuleScope.values)}."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why (kept with the rule)."]})
    if scope == RuleScope.COURSE:
        if course is None:
            raise ValidationError({"course": ["Choose the course."]})
        require(actor, Capability.SEND_QUESTIONNAIRES, course.patient)
        protocol_code = ""
    elif course is not None:
        raise ValidationError({"course": ["Only a course rule names a course."]})
    if scope == RuleScope.PROTOCOL:
        if not protocol_code.strip():
            raise ValidationError({"protocol_code": ["Choose the protocol."]})
    else:
        protocol_code = ""
    if phase not in {p.value for p in SchedulePhase}:
        raise ValidationError({"phase": ["Choose induction or maintenance."]})
    try:
        core = CoreRule(
            instrument=instrument,
            phase=SchedulePhase(phase),
            offsets_days=tuple(offsets_days),
            window_days=window_days,
            repeat_every_days=repeat_every_days,
        )
    except ClinicalInputError as exc:
        field = {"offsets": "offsets_days", "window": "window_days"}.get(exc.field or "", "")
        field = field or {"repeat": "repeat_every_days"}.get(exc.field or "", exc.field or "")
        raise ValidationError({field or "instrument": [exc.message]}) from exc
    rule = ScheduleRule.objects.create(
        clinic_id=actor.clinic_pk,
        scope=scope,
        protocol_code=protocol_code.strip(),
        course=course,
        instrument=core.instrument,
        phase=core.phase.value,
        offsets_days=list(core.offsets_days),
        repeat_every_days=core.repeat_every_days,
        window_days=core.window_days,
        reason=reason.strip()[:300],
        created_by=actor,
    )
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=rule,
        patient_id=course.patient_id if course else None,
        detail={"rule": core.describe(), "scope": scope},
    )
    return rule


@transaction.atomic
def retire_rule(actor: User, rule: ScheduleRule, reason: str) -> ScheduleRule:
    require(actor, Capability.SEND_QUESTIONNAIRES, rule)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the rule is retired."]})
    rule = ScheduleRule.objects.select_for_update().get(pk=rule.pk)
    if rule.retired_at is not None:
        raise ValidationError({"reason": ["This rule was already retired."]})
    rule.retired_at = timezone.now()
    rule.retired_by = actor
    rule.retired_reason = reason.strip()[:300]
    rule.save()
    record_event(actor=actor, action=Action.UPDATE, obj=rule, detail={"retired": reason})
    return rule


# ---------------------------------------------------------------------------- crisis text


def crisis_resources(clinic: Clinic) -> CrisisResources:
    """The clinic's crisis text, or the defaults (unsaved, marked not checked locally)."""
    found = CrisisResources.objects.filter(clinic=clinic).first()
    return found or CrisisResources(clinic=clinic)


@transaction.atomic
def update_crisis_resources(actor: User, values: Mapping[str, Any]) -> CrisisResources:
    require(actor, Capability.SEND_QUESTIONNAIRES)
    clinic = actor.clinic
    assert clinic is not None
    current = CrisisResources.objects.select_for_update().filter(clinic=clinic).first()
    resources = current or CrisisResources(clinic=clinic)
    for name in ("emergency", "crisis_line", "extra", "checked_locally"):
        if name in values:
            setattr(resources, name, values[name])
    if "clinic_phone" in values and values["clinic_phone"] != clinic.phone:
        clinic.phone = str(values["clinic_phone"]).strip()[:200]
        clinic.save(update_fields=["phone"])
        record_event(actor=actor, action=Action.UPDATE, obj=clinic, detail={"phone": clinic.phone})
    resources.updated_by = actor
    resources.full_clean(exclude=["clinic", "updated_by"])
    resources._history_user = actor  # type: ignore[attr-defined]
    resources.save()
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=resources,
        detail={"checked_locally": resources.checked_locally},
    )
    return resources
