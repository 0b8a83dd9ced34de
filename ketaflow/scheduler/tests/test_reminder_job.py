"""The reminder job is the portal's reminder round: scheduled twice, run once, one email."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ketaflow.audit.models import AccessEvent
from ketaflow.mail.models import OutboxMessage, OutboxStatus
from ketaflow.portal.models import Reminder, ReminderOutcome
from ketaflow.portal.tests.conftest import (  # noqa: F401  (fixtures)
    course,
    give_session,
    protocols,
    today,
)
from ketaflow.scheduler.jobs import send_questionnaire_reminders
from ketaflow.scheduler.ticks import tick

pytestmark = pytest.mark.django_db


@pytest.fixture
def due_course(patient: Any, course: Any, give_session: Any, today: Any) -> Any:  # noqa: F811
    give_session(course, today - timedelta(days=1))
    patient.email = "jane@example.org"
    patient.save()
    return course


def test_the_job_sends_the_reminders_due_and_says_what_it_did(
    due_course: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        assert send_questionnaire_reminders.call() == {
            "emails": 1,
            "reminded": 2,
            "skipped": 0,
            "failures": [],
        }
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    assert [m.to for m in mail.outbox] == [["jane@example.org"]]
    event = AccessEvent.objects.get(object_type="portal.PortalLink")
    assert event.channel == "system" and event.user_agent == "scheduler: questionnaire-reminders"
    assert send_questionnaire_reminders.call()["emails"] == 0


@pytest.mark.django_db(transaction=True)  # the worker closes its connection after each task
@pytest.mark.usefixtures("db_tasks")
def test_two_ticks_and_a_worker_send_each_reminder_once(due_course: Any) -> None:
    mail.outbox.clear()
    now = timezone.now()
    tick(now)
    tick(now)  # a second scheduler in the same hour
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert len(mail.outbox) == 1  # the reminder job queued it, the outbox's task sent it
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT
    assert Reminder.objects.filter(outcome=ReminderOutcome.SENT).count() == 2
    reminders = DBTaskResult.objects.get(task_path__endswith="send_questionnaire_reminders")
    assert reminders.status == "SUCCESSFUL"
    assert DBTaskResult.objects.exclude(status="SUCCESSFUL").count() == 0
