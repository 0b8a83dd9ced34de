"""Work comes to people: each role's home is its worklist, and the navigation carries counts.

Every list is asked of the app that owns it (its selector: scoped to the actor's clinic,
audited when it names patients); this module only chooses which lists a role sees, puts
them in words people use and points each item straight at the page where the work is done.

- `sections(user, now)`: the home page's sections for the user's role, in order.
- `nav_counts(user)`: the numbers the navigation shows, from counting queries only (no
  patient data, so not audited), computed only for the roles that see them.

Both take the request when there is one: what one of them has asked (the open critical
alerts, derived from every dosed session's readings) is kept on the request, so the home
page and its navigation do not derive them twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability, Role
from ketaflow.accounts.selectors import clinic_users
from ketaflow.clinical.checklist import Status
from ketaflow.courses import selectors as courses
from ketaflow.devices import selectors as devices
from ketaflow.dispensing import selectors as dispensing
from ketaflow.emergency import selectors as emergency
from ketaflow.homediary import selectors as homediary
from ketaflow.lib.clock import clinic_today, local
from ketaflow.mail import selectors as mail
from ketaflow.ops import freshness
from ketaflow.portal import selectors as portal
from ketaflow.screening import selectors as screening
from ketaflow.treatments import selectors as treatments
from ketaflow.treatments.models import VitalsReading
from ketaflow.treatments.rems import selectors as rems


@dataclass(frozen=True)
class Button:
    """A one-click action drawn on the item itself (a small POST form; back to home after)."""

    label: str
    url: str
    describe: str = ""  # the accessible name, when the label alone is ambiguous in a list


@dataclass(frozen=True)
class Item:
    """One thing to do: what it is in plain words, and the page where it is done."""

    text: str
    url: str
    note: str = ""
    urgent: bool = False
    button: Button | None = None


@dataclass(frozen=True)
class Section:
    key: str  # the HTML id of the section
    title: str
    items: list[Item]
    empty: str  # said when there is nothing to do
    more_url: str = ""
    more_label: str = ""
    urgent: bool = False  # drawn as an alarm (a critical alert)
    count: int | None = field(default=None)  # when the list shows only the first few

    @property
    def total(self) -> int:
        return len(self.items) if self.count is None else self.count


def _local(at: datetime, user: User) -> datetime:
    assert user.clinic is not None
    return local(at, user.clinic)


def _hm(at: datetime, user: User) -> str:
    return f"{_local(at, user):%H:%M}"


def vitals_in_words(reading: VitalsReading) -> str:
    """A reading as people say it: "BP 185/112, heart rate 96, SpO2 97 %, breathing 16"."""
    parts = []
    if reading.sbp is not None or reading.dbp is not None:
        sbp = f"{reading.sbp:g}" if reading.sbp is not None else "?"
        dbp = f"{reading.dbp:g}" if reading.dbp is not None else "?"
        parts.append(f"BP {sbp}/{dbp}")
    if reading.hr is not None:
        parts.append(f"heart rate {reading.hr:g}")
    if reading.spo2 is not None:
        parts.append(f"SpO2 {reading.spo2:g} %" + (" on oxygen" if reading.on_oxygen else ""))
    if reading.rr is not None:
        parts.append(f"breathing {reading.rr:g}/min")
    return ", ".join(parts)


# ---------------------------------------------------------------------------- one request


@dataclass
class _Asked:
    """What this request has already asked (None: not yet)."""

    critical: list[treatments.OpenAlert] | None = None


_ASKED = "_ketaflow_worklists_asked"


def _asked(request: HttpRequest | None) -> _Asked:
    """The request's memo (a fresh one when there is no request: nothing is shared)."""
    if request is None:
        return _Asked()
    found = getattr(request, _ASKED, None)
    if found is None:
        found = _Asked()
        setattr(request, _ASKED, found)
    return found


# ---------------------------------------------------------------------------- sections


def _session_url(pk: int, part: str = "") -> str:
    return reverse("treatments:session", args=[pk]) + (f"#{part}" if part else "")


def _critical_alerts(user: User, now: datetime, asked: _Asked) -> Section:
    """One item per reading (a BP of 185/112 raises a systolic and a diastolic alert)."""
    if asked.critical is None:
        asked.critical = treatments.open_critical_alerts(user)
    by_reading: dict[int, list[treatments.OpenAlert]] = {}
    for a in asked.critical:
        by_reading.setdefault(a.reading.pk, []).append(a)
    items = []
    for alerts in by_reading.values():
        first = alerts[0]
        session, patient = first.session, first.session.patient
        items.append(
            Item(
                text=(
                    f"{session.chair.name} · {patient.given_name} {patient.family_name}: "
                    f"{vitals_in_words(first.reading)} at {_hm(first.reading.taken_at, user)}"
                ),
                url=_session_url(session.pk, "vitals"),
                note=" ".join(a.alert.message for a in alerts) + f" {first.alert.action.label}.",
                urgent=True,
            )
        )
    return Section(
        "critical-alerts",
        "Critical alerts in session",
        items,
        "No critical alert is open.",
        urgent=bool(items),
    )


def _chairs_today(user: User, now: datetime, asked: _Asked) -> Section:
    items = []
    for row in treatments.board(user, now=now):
        appt = row.appointment
        if appt is None:
            continue
        patient = appt.course.patient
        who = f"{row.chair.name} · {patient.given_name} {patient.family_name}"
        if row.view is None:
            items.append(
                Item(
                    f"{who}: arriving {_hm(appt.starts_at, user)}",
                    reverse("treatments:board"),
                    "Not checked in yet: check in from the chair board.",
                )
            )
            continue
        view = row.view
        notes = []
        urgent = False
        if view.checklist is not None:
            todo = view.checklist.blocking
            notes.append(
                "Checklist: " + ", ".join(i.label for i in todo) + " to do"
                if todo
                else "Checklist passed"
            )
        if view.due is not None:
            late = [o for o in view.due.overdue if o.can_still_be_done]
            if late:
                urgent = True
                notes.append(
                    "Vitals overdue: "
                    + ", ".join(f"{o.check.label} ({o.minutes_late:.0f} min late)" for o in late)
                )
            elif view.due.next is not None:
                notes.append(
                    f"Vitals due {_hm(view.due.next.due_at, user)} ({view.due.next.label})"
                )
        items.append(
            Item(
                f"{who}: {view.phase_label}",
                reverse("treatments:session", args=[view.session.pk]),
                ". ".join(notes),
                urgent,
            )
        )
    return Section(
        "chairs-today",
        "In the chairs today",
        items,
        "Nobody is booked in a chair today.",
        reverse("treatments:board"),
        "Chair board",
    )


def _decisions_waiting(user: User, now: datetime, asked: _Asked) -> Section:
    """Checklists held until a prescriber decides (a "yes" about alcohol or drugs today)."""
    items = []
    for row in treatments.board(user, now=now):
        view = row.view
        if view is None or view.checklist is None:
            continue
        for item in view.checklist.items:
            if item.code == "substances" and item.status is Status.BLOCKING:
                patient = view.session.patient
                items.append(
                    Item(
                        f"{row.chair.name} · {patient.given_name} {patient.family_name}: "
                        f"{item.label}",
                        reverse("treatments:session", args=[view.session.pk])
                        + "#substance-decision",
                        item.message,
                    )
                )
    return Section(
        "decisions-waiting", "Decisions waiting", items, "No checklist waits for a decision."
    )


def _orders_to_confirm(user: User, now: datetime, asked: _Asked) -> Section:
    items = [
        Item(
            f"{o.session.chair.name} · {o.session.patient.given_name} "
            f"{o.session.patient.family_name}: {o.dose_mg:g} mg proposed",
            reverse("treatments:session", args=[o.session_id]) + "#order",
            f"{len(o.warnings)} soft limit(s) to override with a reason" if o.warnings else "",
        )
        for o in treatments.orders_to_confirm(user)
    ]
    return Section("orders-to-confirm", "Orders to confirm", items, "No order waits.")


def _sessions_to_sign(user: User, now: datetime, asked: _Asked) -> Section:
    items = [
        Item(
            f"{s.patient.given_name} {s.patient.family_name}: session {s.session_number}, "
            f"{_local(s.checked_in_at, user):%d %b}",
            reverse("treatments:session", args=[s.pk]) + "#sign",
            "Discharged, waiting for your signature.",
        )
        for s in treatments.sessions_to_sign(user)
    ]
    return Section("sessions-to-sign", "Sessions to sign", items, "No session waits to be signed.")


def _reviews_to_sign(user: User, now: datetime, asked: _Asked) -> Section:
    items = [
        Item(
            f"{r.patient.given_name} {r.patient.family_name}: {r.protocol_name}",
            reverse("screening:review", args=[r.patient_id, r.pk]),
            f"Opened {_local(r.recorded_at, user):%d %b}.",
        )
        for r in screening.reviews_to_sign(user)
    ]
    return Section(
        "reviews-to-sign", "Eligibility reviews to sign", items, "No review waits to be signed."
    )


def _risk_alerts(user: User, now: datetime, asked: _Asked) -> Section:
    items = [
        Item(
            f"{a.patient.given_name} {a.patient.family_name}: raised "
            f"{_local(a.raised_at, user):%d %b %H:%M}",
            reverse("portal:alert", args=[a.pk]),
            a.message,
            urgent=True,
        )
        for a in portal.risk_alerts(user, open_only=True)
    ]
    return Section(
        "risk-alerts",
        "Suicide risk alerts",
        items,
        "No risk alert is open.",
        reverse("portal:alerts"),
        "All risk alerts",
        urgent=bool(items),
    )


def _forms_due(user: User, now: datetime, asked: _Asked) -> Section:
    rows = portal.due_forms(user, now=now)
    items = [
        Item(
            f"{r.patient.given_name} {r.patient.family_name}: {r.instrument_name}",
            reverse("portal:links", args=[r.patient.pk]),
            ("Overdue" if r.overdue else "Due") + f" since {r.due_on:%d %b}",
            urgent=r.overdue,
        )
        for r in rows[:10]
    ]
    return Section(
        "forms-due",
        "Questionnaires due",
        items,
        "No questionnaire is due.",
        reverse("portal:overview"),
        "All questionnaires",
        count=len(rows),
    )


def _rems_due(user: User, now: datetime, asked: _Asked) -> Section:
    due, overdue = rems.forms_due(user, now=now)
    items = [
        Item(
            f"{r.session.patient.given_name} {r.session.patient.family_name}: "
            f"session of {r.session_date:%d %b}",
            reverse("treatments:rems_form", args=[r.session.pk]),
            ("Overdue: " if r.overdue else "") + f"submit by {r.submit_by:%d %b}",
            urgent=r.overdue,
        )
        for r in overdue + due
    ]
    return Section(
        "rems-due",
        "REMS forms due",
        items,
        "No REMS form is due.",
        reverse("treatments:rems_due"),
        "All REMS forms",
    )


def _held_messages(user: User, now: datetime, asked: _Asked) -> Section:
    rows = devices.held_messages(user)
    items = [
        Item(
            f"Monitor message received {_hm(m.received_at, user)}",
            reverse("devices:queue") + "#held",
            "Not matched to a session: assign it or dismiss it.",
        )
        for m in rows[:10]
    ]
    return Section(
        "held-messages",
        "Monitor messages held",
        items,
        "No monitor message is held.",
        reverse("devices:queue"),
        "Holding queue",
        count=len(rows),
    )


def _held_for_admin(user: User, now: datetime, asked: _Asked) -> Section:
    """The admin cannot open the queue (it names patients) but fixes what fills it."""
    held = devices.held_count_for_setup(user)
    items = (
        [
            Item(
                f"{held} monitor message(s) held",
                reverse("devices:setup"),
                "Often a monitor not bound to a chair, or a code not mapped: check the set-up.",
            )
        ]
        if held
        else []
    )
    return Section("held-messages", "Monitor messages held", items, "No monitor message is held.")


def _arrivals_today(user: User, now: datetime, asked: _Asked) -> Section:
    assert user.clinic is not None
    today = clinic_today(user.clinic)
    items = [
        Item(
            f"{_hm(a.starts_at, user)} · {a.course.patient.given_name} "
            f"{a.course.patient.family_name} ({a.chair.name})",
            reverse("courses:course", args=[a.course_id]),
            a.get_status_display(),
        )
        for a in courses.appointments_between(user, today)
        if a.status != "cancelled"
    ]
    return Section(
        "arrivals-today",
        "Today's arrivals",
        items,
        "Nobody is booked today.",
        reverse("courses:schedule"),
        "Schedule",
    )


def _bookings_to_close(user: User, now: datetime, asked: _Asked) -> Section:
    rows = courses.bookings_to_close(user)
    items = [
        Item(
            f"{a.course.patient.given_name} {a.course.patient.family_name}: "
            f"{_local(a.starts_at, user):%d %b %H:%M}",
            reverse("courses:course", args=[a.course_id]),
            "Still marked booked: record whether they came.",
        )
        for a in rows
    ]
    return Section(
        "bookings-to-close",
        "Past bookings still open",
        items,
        "Every past booking is closed.",
        count=courses.bookings_to_close_count(user) if len(rows) >= 50 else None,
    )


def _failed_emails(user: User, now: datetime, asked: _Asked) -> Section:
    """Emails the outbox gave up on (a risk alert's, a patient's link): the admin fixes the
    mail settings or an address and sends them again."""
    failed = mail.failed_count(user)
    items = (
        [
            Item(
                f"{failed} email(s) not sent",
                reverse("mail:failed"),
                "Every attempt failed: check the mail settings, then send again.",
                urgent=True,
            )
        ]
        if failed
        else []
    )
    return Section("failed-emails", "Emails not sent", items, "Every email was sent.")


def _bookings_to_confirm(user: User, now: datetime, asked: _Asked) -> Section:
    """Upcoming bookings in the clinic's next few clinic days nobody has confirmed with the
    patient yet; each with a Confirm button once the desk has phoned them."""
    rows = courses.unconfirmed_bookings(user)
    items = []
    for a in rows:
        patient = a.course.patient
        when = f"{_local(a.starts_at, user):%a %d %b %H:%M}"
        items.append(
            Item(
                f"{when} · {patient.given_name} {patient.family_name} ({a.chair.name})",
                reverse("courses:course", args=[a.course_id]) + "#appointments",
                f"Session {a.session_number}, not confirmed yet.",
                button=Button(
                    "Confirm",
                    reverse("courses:confirm", args=[a.pk]),
                    f"Confirm {patient.given_name} {patient.family_name}, {when}",
                ),
            )
        )
    return Section(
        "bookings-to-confirm",
        "Bookings to confirm",
        items,
        "Every upcoming booking is confirmed.",
        reverse("courses:schedule"),
        "Schedule",
        count=courses.unconfirmed_bookings_count(user) if len(rows) >= 50 else None,
    )


def _users(user: User, now: datetime, asked: _Asked) -> Section:
    staff = list(clinic_users(user).filter(is_active=True))
    items = [
        Item(
            f"{u.display_name}: no role yet",
            reverse("web:users"),
            "Cannot use Ketaflow until given a role.",
        )
        for u in staff
        if not u.role
    ]
    return Section(
        "users",
        "Users",
        items,
        f"{len(staff)} active user(s), each with a role.",
        reverse("web:users"),
        "Manage users",
    )


def _emergency_access_to_review(user: User, now: datetime, asked: _Asked) -> Section:
    """Break-glass to a patient of this clinic or by its staff, not yet reviewed here
    (`ketaflow.emergency`): reported at once, judged by an admin of each clinic."""
    items = []
    for g in emergency.grants_to_review(user):
        ours = g.patient_clinic_id == user.clinic_id
        whom = (
            f"{g.patient.given_name} {g.patient.family_name}"
            if ours
            else f"a patient of {g.patient_clinic.name}"
        )
        items.append(
            Item(
                f"{g.user.display_name} ({g.clinic.name}) read {whom}",
                reverse("emergency:reviews") + f"#grant-{g.pk}",
                f"Emergency access {_local(g.granted_at, user):%d %b %H:%M}: "
                f"{g.get_kind_display()}. Review it.",
                urgent=True,
            )
        )
    return Section(
        "emergency-access",
        "Emergency access to review",
        items,
        "No emergency access waits for a review.",
        reverse("emergency:reviews"),
        "All emergency access",
        urgent=bool(items),
    )


# ---------------------------------------------------------------------------- take-home supply


def _early_refills_waiting(user: User, now: datetime, asked: _Asked) -> Section:
    """Early refill requests waiting for a prescriber's decision (dispensing)."""
    items = [
        Item(
            f"{r.patient.given_name} {r.patient.family_name}: early refill request",
            reverse("dispensing:decide_refill", args=[r.pk]),
            r.early_reason,
            urgent=True,
        )
        for r in dispensing.early_requests_waiting(user)
    ]
    return Section(
        "early-refills",
        "Early refill requests",
        items,
        "No early refill request is waiting.",
        urgent=bool(items),
    )


def _pdmp_checks_due(user: User, now: datetime, asked: _Asked) -> Section:
    """Patients with take-home doses whose prescription-monitoring check is due."""
    items = [
        Item(
            f"{d.authorisation.patient.given_name} {d.authorisation.patient.family_name}: "
            "PDMP check due",
            reverse("dispensing:pdmp_check", args=[d.authorisation.course_id]),
            d.status.message,
        )
        for d in dispensing.pdmp_checks_due(user)
    ]
    return Section("pdmp-due", "PDMP checks due", items, "No PDMP check is due.")


def _stock_discrepancies(user: User, now: datetime, asked: _Asked) -> Section:
    """Controlled-substance counts that differ from the book and are not yet explained."""
    items = [
        Item(
            f"Lot {line.lot}: counted {line.counted}, expected {line.expected}",
            reverse("dispensing:explain", args=[line.pk]),
            f"Counted {_local(line.reconciliation.counted_at, user):%d %b %H:%M}; explain it, "
            "witnessed.",
            urgent=True,
        )
        for line in dispensing.open_discrepancies(user)
    ]
    return Section(
        "stock-discrepancies",
        "Controlled-stock discrepancies",
        items,
        "Every count agrees with the book.",
        reverse("dispensing:stock"),
        "Controlled stock",
        urgent=bool(items),
    )


# ---------------------------------------------------------------------------- home dose diary


def _home_alerts(user: User, now: datetime, asked: _Asked) -> Section:
    """Open alerts from home (a worrying diary entry, "Something is wrong"): act today."""
    items = [
        Item(
            f"{a.patient.given_name} {a.patient.family_name}: {a.get_kind_display().lower()}, "
            f"{_local(a.raised_at, user):%d %b %H:%M}",
            reverse("homediary:alert", args=[a.pk]),
            a.message,
            urgent=True,
        )
        for a in homediary.home_alerts(user, open_only=True)
    ]
    return Section(
        "home-alerts",
        "Alerts from home",
        items,
        "No alert from home is open.",
        reverse("homediary:alerts"),
        "All home alerts",
        urgent=bool(items),
    )


def _home_doses_to_review(user: User, now: datetime, asked: _Asked) -> Section:
    """Home doses no nurse has acknowledged yet, worrying ones first."""
    views = homediary.entries_to_review(user)
    items = [
        Item(
            f"{v.entry.patient.given_name} {v.entry.patient.family_name}: "
            f"{v.entry.dose_mg:g} mg at home, {_local(v.entry.taken_at, user):%d %b %H:%M}",
            reverse("homediary:diary", args=[v.entry.patient_id]) + f"#entry-{v.entry.pk}",
            "; ".join(c.message for c in v.concerns) or "Nothing worrying reported.",
            urgent=v.worrying,
        )
        for v in views[:10]
    ]
    return Section(
        "home-doses",
        "Home doses to acknowledge",
        items,
        "No home dose waits to be acknowledged.",
        count=len(views),
    )


def _home_doses_missed(user: User, now: datetime, asked: _Asked) -> Section:
    """Dose days by the authorised take-home schedule with no diary entry."""
    assert user.clinic is not None
    rows = homediary.missed_entries(user, clinic_today(user.clinic))
    items = [
        Item(
            f"{r.patient.given_name} {r.patient.family_name}: no diary entry for {r.day:%a %d %b}",
            reverse("homediary:diary", args=[r.patient.pk]),
            "A dose day of the take-home schedule: call to check.",
        )
        for r in rows[:10]
    ]
    return Section(
        "home-missed",
        "Missed home diary entries",
        items,
        "No home dose day is missing an entry.",
        count=len(rows),
    )


SectionFn = Callable[[User, datetime, _Asked], Section]

#: Each role's worklist, in the order it is drawn (most urgent first).
ROLE_SECTIONS: dict[str, tuple[SectionFn, ...]] = {
    Role.NURSE: (
        _critical_alerts,
        _chairs_today,
        _risk_alerts,
        _home_alerts,
        _home_doses_to_review,
        _home_doses_missed,
        _forms_due,
        _held_messages,
        _pdmp_checks_due,
        _stock_discrepancies,
    ),
    Role.PRESCRIBER: (
        _critical_alerts,
        _risk_alerts,
        _home_alerts,
        _orders_to_confirm,
        _decisions_waiting,
        _sessions_to_sign,
        _reviews_to_sign,
        _rems_due,
        _early_refills_waiting,
        _pdmp_checks_due,
        _stock_discrepancies,
    ),
    Role.FRONT_DESK: (_arrivals_today, _bookings_to_confirm, _bookings_to_close),
    # The clinic admin's exports come first, from fhir's `{% export_worklist %}` (home.html).
    Role.CLINIC_ADMIN: (_emergency_access_to_review, _failed_emails, _held_for_admin, _users),
    Role.RESEARCHER: (),
}


def sections(
    user: User, now: datetime | None = None, *, request: HttpRequest | None = None
) -> list[Section]:
    """The user's worklist sections (none for a user without an active role in a clinic)."""
    if not (user.is_active and user.clinic_id):
        return []
    now = now or timezone.now()
    asked = _asked(request)
    return [fn(user, now, asked) for fn in ROLE_SECTIONS.get(user.role, ())]


# ---------------------------------------------------------------------------- counts


def nav_counts(user: User, *, request: HttpRequest | None = None) -> dict[str, int]:
    """The navigation's numbers, by key; only the ones this role sees, each one query.

    `critical` derives the alerts of the sessions being dosed now (their cost grows with the
    chairs in use, not with history), unless this request's worklist already did; the rest
    are single COUNT queries. Drawn on every page, so the numbers are memoised until the
    data changes or a few seconds pass (`ops.freshness`).
    """
    if not (user.is_active and user.clinic_id):
        return {}
    known = _asked(request).critical
    if known is not None:
        return _nav_counts(user, known)
    return freshness.memo("nav-counts", user.pk, lambda: _nav_counts(user, None))


def _nav_counts(user: User, known: list[treatments.OpenAlert] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    if user.can(Capability.CHART_SESSION):
        counts["critical"] = (
            treatments.critical_alert_count(user)
            if known is None
            else len({a.reading.pk for a in known})
        )
        counts["held"] = devices.pending_count(user)
    if user.can(Capability.VIEW_CLINICAL):
        counts["risk"] = portal.open_alert_count(user)
    if user.role == Role.PRESCRIBER:
        counts["todo"] = (
            treatments.orders_to_confirm_count(user)
            + treatments.sessions_to_sign_count(user)
            + screening.reviews_to_sign_count(user)
        )
    elif user.role == Role.FRONT_DESK:
        counts["todo"] = courses.bookings_to_close_count(user) + courses.unconfirmed_bookings_count(
            user
        )
    return counts
