"""`ketaflow send-questionnaire-reminders`: email patients a fresh link for forms due.

Run it from cron or the scheduler (e.g. hourly); it is idempotent: a form is never reminded
twice, and every reminder sent or skipped (no email address) is recorded. The emails go
through the outbox: `ketaflow worker` sends them, with retries. Links expire after
--expires-days (default KETAFLOW_PORTAL_LINK_DAYS); links point at --base-url (default
KETAFLOW_PUBLIC_URL).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ketaflow.audit import context
from ketaflow.portal.reminders import send_reminders


class Command(BaseCommand):
    help = "Email patients a questionnaire link for forms due (once per form; safe to repeat)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default=settings.KETAFLOW_PUBLIC_URL,
            help="The address patients reach Ketaflow at, e.g. https://clinic.example.org",
        )
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        ctx = context.RequestContext(
            None, "ketaflow send-questionnaire-reminders", context.new_request_id(), "", "cli"
        )
        token = context.activate(ctx)
        try:
            run = send_reminders(
                now=timezone.now(),
                base_url=options["base_url"],
                expires_in_days=options["expires_days"],
            )
        finally:
            context.reset(token)
        self.stdout.write(
            f"Emails queued: {run.emails} ({run.reminded} forms); "
            f"skipped without an email address: {run.skipped}; failures: {len(run.failures)}"
        )
        for failure in run.failures:
            self.stderr.write(f"failed: {failure}")
