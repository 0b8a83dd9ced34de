"""The reminder job: email each patient a fresh link for forms due, once per form.

Safe to run from cron as often as you like. For every open course, each form due or overdue
now (the core's schedule, evaluated with today's rules) gets at most one `Reminder` with
outcome "sent" — a unique constraint makes a second send impossible, even for two runs at
once. The rows and the email (an outbox message, `ketaflow.mail`) are written in one
transaction and a background job sends it after commit, retrying with back-off if the mail
server fails; an email the outbox gives up on shows on the clinic admins' failed-email list.
A patient without an email address gets one "skipped" row per form with the reason, and is
reminded once an address is added.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.instruments import get_instrument
from ketaflow.clinical.questionnaire_schedule import Occurrence, open_now
from ketaflow.courses.models import Course
from ketaflow.portal import derive
from ketaflow.portal.models import LinkOrigin, Reminder, ReminderOutcome
from ketaflow.portal.services import _link_email, _new_link, link_days_default, portal_url

log = logging.getLogger(__name__)
JOB = "questionnaire reminder job"
NO_EMAIL = "The patient has no email address on record."


@dataclass
class ReminderRun:
    """What one run did: emails queued, forms reminded, forms skipped (with reasons)."""

    emails: int = 0
    reminded: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)


def _pending(course: Course, occurrences: tuple[Occurrence, ...]) -> list[Occurrence]:
    sent = set(
        Reminder.objects.filter(course=course, outcome=ReminderOutcome.SENT).values_list(
            "instrument", "due_on"
        )
    )
    return [o for o in occurrences if (o.instrument, o.due_on) not in sent]


def _skip(course: Course, pending: list[Occurrence], now: datetime, run: ReminderRun) -> None:
    skipped = set(
        Reminder.objects.filter(course=course, outcome=ReminderOutcome.SKIPPED).values_list(
            "instrument", "due_on"
        )
    )
    for o in pending:
        if (o.instrument, o.due_on) in skipped:
            continue
        row = Reminder.objects.create(
            clinic_id=course.patient.clinic_id,
            patient=course.patient,
            course=course,
            instrument=o.instrument,
            due_on=o.due_on,
            outcome=ReminderOutcome.SKIPPED,
            reason=NO_EMAIL,
            at=now,
        )
        record_event(
            actor=None, actor_label=JOB, action=Action.CREATE, obj=row, detail={"skipped": NO_EMAIL}
        )
        run.skipped += 1


def _send(
    course: Course, pending: list[Occurrence], now: datetime, base_url: str | None, days: int
) -> None:
    patient = course.patient
    link, raw = _new_link(
        patient,
        origin=LinkOrigin.REMINDER,
        actor=None,
        instruments=[],
        now=now,
        days=days,
        email=patient.email,
    )
    for o in pending:
        Reminder.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            course=course,
            instrument=o.instrument,
            due_on=o.due_on,
            outcome=ReminderOutcome.SENT,
            link=link,
            at=now,
        )
    names = sorted({get_instrument(o.instrument).name for o in pending})
    record_event(
        actor=None,
        actor_label=JOB,
        action=Action.CREATE,
        obj=link,
        detail={"reminder": [f"{o.instrument}:{o.due_on.isoformat()}" for o in pending]},
    )
    _link_email(patient, portal_url(base_url, raw), link, " and ".join(names))


def send_reminders(
    *, now: datetime, base_url: str | None = None, expires_in_days: int | None = None
) -> ReminderRun:
    """Remind every patient with forms due now and not yet reminded; returns what was done."""
    run = ReminderRun()
    days = expires_in_days or link_days_default()
    for course in derive.open_courses():
        today = derive.clinic_today(course.patient.clinic, now)
        pending = _pending(course, open_now(derive.course_occurrences(course, today)))
        if not pending:
            continue
        try:
            with transaction.atomic():
                if not course.patient.email:
                    _skip(course, pending, now, run)
                    continue
                _send(course, pending, now, base_url, days)
        except IntegrityError:
            continue  # another run reminded these forms first
        except Exception as exc:
            log.exception("reminder for course %s failed", course.pk)
            run.failures.append(f"course {course.pk}: {exc.__class__.__name__}")
            continue
        if course.patient.email:
            run.emails += 1
            run.reminded += len(pending)
    return run
