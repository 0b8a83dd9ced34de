"""The periodic jobs as tasks: each a thin call to the service of the app that owns the rule.

The scheduler enqueues them (`ticks.tick`); a worker (`ketaflow db_worker`, or `rqworker`
with KETAFLOW_TASKS_BACKEND=rq) runs them. Every job runs under an audit context naming it,
so the events it writes say which job wrote them. The digests (REMS forms, safety checks)
carry counts and a link, never a patient's name: email is not secure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks.base import Task

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.roles import Capability
from ketaflow.audit import context
from ketaflow.audit.chain import verify_chain
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.long_term_safety import DueStatus
from ketaflow.fhir.expiry import expire_exports
from ketaflow.lib.background import recover_interrupted_work
from ketaflow.lib.clock import clinic_today
from ketaflow.mail.services import queue_message
from ketaflow.outcomes.report_files import expire_reports
from ketaflow.portal.reminders import send_reminders
from ketaflow.portal.services import public_url
from ketaflow.safety.selectors import due_list_of_clinic
from ketaflow.treatments.rems.selectors import forms_due_of_clinic

log = logging.getLogger(__name__)


def label(job: str) -> str:
    """How a job appears as the actor in the audit log."""
    return f"scheduler: {job}"


@contextmanager
def _as_job(job: str) -> Iterator[None]:
    token = context.activate(
        context.RequestContext(None, label(job), context.new_request_id(), "", "system")
    )
    try:
        yield
    finally:
        context.reset(token)


def staff_emails(clinic: Clinic, capability: str) -> list[str]:
    """The addresses of the clinic's active staff whose role grants `capability`."""
    users = User.objects.filter(clinic=clinic, is_active=True).exclude(email="")
    return sorted({u.email for u in users if u.can(capability)})


def _digest(clinic: Clinic, job: str, capability: str, subject: str, body: str) -> int:
    """Email the digest to the staff who act on it; audit who was emailed. Returns how many
    (none when today's digest of this clinic was queued before)."""
    recipients = staff_emails(clinic, capability)
    if recipients:  # through the outbox: retried, and sent once per clinic and day
        queued = queue_message(
            clinic_id=clinic.pk,
            key=f"{job}:{clinic.pk}:{clinic_today(clinic).isoformat()}",
            kind=job,
            subject=f"{clinic.name}: {subject}",
            body=body,
            recipients=recipients,
            now=timezone.now(),
        )
        if queued is None:
            recipients = []
    record_event(
        actor=None,
        actor_label=label(job),
        action=Action.EXPORT,
        obj=clinic,
        clinic_id=clinic.pk,
        detail={"part": job, "emailed": len(recipients)},
    )
    return len(recipients)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@task()
def send_questionnaire_reminders() -> dict[str, Any]:
    """The portal's reminder round (`ketaflow send-questionnaire-reminders`), once an hour."""
    job = "questionnaire-reminders"
    with _as_job(job):
        run = send_reminders(now=timezone.now())
    if run.failures:
        log.warning("%s: %s", job, "; ".join(run.failures))
    return {
        "emails": run.emails,
        "reminded": run.reminded,
        "skipped": run.skipped,
        "failures": run.failures,
    }


@task()
def email_rems_forms_due(clinic_id: int) -> dict[str, int]:
    """Tell the clinic's charting staff how many REMS forms are due and overdue (if any)."""
    job = "rems-forms-due"
    clinic = Clinic.objects.get(pk=clinic_id)
    with _as_job(job):
        due, overdue = forms_due_of_clinic(clinic, now=timezone.now(), job=label(job))
        emailed = 0
        if due or overdue:
            emailed = _digest(
                clinic,
                job,
                Capability.CHART_SESSION,
                "REMS forms to submit",
                f"{_plural(len(due) + len(overdue), 'REMS monitoring form')} to submit, "
                f"{len(overdue)} overdue (the REMS asks for each within 7 days of the "
                f"session). The list:\n\n{public_url()}{reverse('treatments:rems_due')}\n",
            )
    return {"due": len(due), "overdue": len(overdue), "emailed": emailed}


@task()
def email_safety_checks_due(clinic_id: int) -> dict[str, int]:
    """Tell the clinic's clinical staff how many long-term safety checks need action."""
    job = "safety-checks-due"
    clinic = Clinic.objects.get(pk=clinic_id)
    with _as_job(job):
        rows = due_list_of_clinic(clinic, job=label(job))
        patients = len({r.patient.pk for r in rows})
        overdue = sum(1 for r in rows if r.item.status is DueStatus.OVERDUE)
        emailed = 0
        if rows:
            emailed = _digest(
                clinic,
                job,
                Capability.VIEW_CLINICAL,
                "long-term safety checks due",
                f"{_plural(len(rows), 'long-term safety check')} need action "
                f"({_plural(patients, 'patient')}; {overdue} overdue). The list:\n\n"
                f"{public_url()}{reverse('safety:due')}\n",
            )
    return {"checks": len(rows), "patients": patients, "overdue": overdue, "emailed": emailed}


@task()
def expire_export_files() -> dict[str, int]:
    """Delete whole-clinic export files past their keeping time (KETAFLOW_EXPORT_KEEP_DAYS),
    and rendered progress reports past theirs (KETAFLOW_REPORT_KEEP_DAYS)."""
    job = "expired-exports"
    with _as_job(job):
        now = timezone.now()
        return {
            "expired": expire_exports(now=now, actor_label=label(job)),
            "reports_expired": expire_reports(now=now, actor_label=label(job)),
        }


@task()
def verify_audit_chain() -> dict[str, Any]:
    """`ketaflow audit verify` on the scheduler: every chain walked; a break is logged as an
    error (the JSON logs reach the monitoring) and emailed, once per break, to the affected
    clinic's admins."""
    job = "audit-chain"
    with _as_job(job):
        report = verify_chain()
        if report.ok:
            log.info(report.summary())
        else:
            log.error(report.summary())
            for broken in report.breaks:
                clinic = Clinic.objects.filter(pk=broken.chain).first()
                if clinic is None:  # rows without a clinic: the logged error is the alarm
                    continue
                recipients = staff_emails(clinic, Capability.MANAGE_USERS)
                if not recipients:
                    continue
                queue_message(
                    clinic_id=clinic.pk,
                    key=f"{job}:{broken.chain}:{broken.event_id}:{broken.kind}",
                    kind=job,
                    subject="Ketaflow: the audit log's integrity check failed",
                    body=(
                        f"{broken.message}\n\nThe audit log was changed outside Ketaflow. "
                        "Keep the database as it is and see docs/deploying-postgresql.md, "
                        "'The hash chain and ketaflow audit verify'."
                    ),
                    recipients=recipients,
                    now=timezone.now(),
                )
        return {"ok": report.ok, "rows": report.rows, "breaks": len(report.breaks)}


@task()
def recover_work() -> dict[str, int]:
    """The worker's own recovery (`lib.background`), also run on a schedule."""
    with _as_job("recover-interrupted-work"):
        return dict(recover_interrupted_work.call())


@task()
def prune_task_results() -> dict[str, str]:
    """django-tasks-db keeps every finished task's row; drop those older than 14 days."""
    from django_tasks_db import DatabaseBackend

    # The backend itself, not `default_task_backend`: that is a proxy, never an instance.
    alias = prune_task_results.backend
    if not isinstance(task_backends[alias], DatabaseBackend):
        return {"skipped": "not the database backend (RQ expires its own results)"}
    call_command("prune_db_task_results", "--backend", alias, "--min-age-days", "14", verbosity=0)
    return {"pruned": "older than 14 days"}


#: The task behind each job of `schedule.JOBS` (a test checks both name the same jobs).
TASKS: dict[str, Task[Any, Any]] = {
    "questionnaire-reminders": send_questionnaire_reminders,
    "rems-forms-due": email_rems_forms_due,
    "safety-checks-due": email_safety_checks_due,
    "expired-exports": expire_export_files,
    "audit-chain": verify_audit_chain,
    "recover-interrupted-work": recover_work,
    "prune-task-results": prune_task_results,
}
