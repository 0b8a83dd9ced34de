"""Writing to the email outbox, and the background job that sends it.

`queue_message` runs inside the caller's transaction: the message commits with the event it
tells of, or not at all; its unique `key` means one event never queues two messages. Once
committed, `send_outbox` (a task) is queued for it.

`send_outbox` claims the message with one conditional UPDATE (pending and due, or "sending"
under an expired lease), counting the attempt; only the claimant sends. Then:

- sent: the row is marked sent (its body blanked if it held a patient's link); a message
  already sent is never sent again, however often the task runs;
- the mail server refused or was unreachable: back to pending, due again after an
  exponential back-off (1, 2, 4, 8 minutes); after `MAX_ATTEMPTS` attempts it is marked failed,
  and the clinic's admins see it (`selectors.failed_messages`);
- the worker was killed mid-send: the row stays "sending" until its lease runs out, then
  `recover_outbox` queues it again. This is the one window for a duplicate: a worker killed
  after the mail server accepted the message but before the row was marked sent will send it
  once more when retried (at-least-once). At most one duplicate per kill, never a lost
  message; a killed worker that had not yet handed the message over causes none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django_tasks import task, task_backends

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.lib.background import enqueue_on_commit
from ketaflow.mail.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
# A pending message due this long ago and still unclaimed lost its task (e.g. Redis restarted).
UNCLAIMED_AFTER = timedelta(minutes=2)
SECRET_SENT = "(Sent. The body held a patient's personal link, so it is not kept.)"

_sent_hooks: dict[str, Callable[[OutboxMessage], None]] = {}


def on_sent(kind: str, hook: Callable[[OutboxMessage], None]) -> None:
    """Call `hook(message)` once a message of `kind` is sent (e.g. note who was emailed)."""
    _sent_hooks[kind] = hook


def backoff(attempt: int) -> timedelta:
    """How long a message waits after its `attempt`-th failed try: 1, 2, 4, 8 minutes."""
    return FIRST_RETRY * 2 ** (attempt - 1)


def queue_message(
    *,
    clinic_id: int,
    key: str,
    kind: str,
    subject: str,
    body: str,
    recipients: Sequence[str],
    refs: Sequence[int] = (),
    secret: bool = False,
    now: datetime,
) -> OutboxMessage | None:
    """Queue one email with the caller's transaction; None if `key` was queued before."""
    with transaction.atomic():  # a savepoint: a lost race leaves the caller's transaction usable
        message, created = OutboxMessage.objects.get_or_create(
            key=key,
            defaults={
                "clinic_id": clinic_id,
                "kind": kind,
                "subject": subject,
                "body": body,
                "body_is_secret": secret,
                "recipients": sorted(set(recipients)),
                "refs": list(refs),
                "next_attempt_at": now,
                "created_at": now,
            },
        )
    if not created:
        return None
    enqueue_on_commit(send_outbox, message.pk)
    return message


def _claim(message_id: int, now: datetime) -> int | None:
    """Claim the message for one attempt (conditional UPDATE); its number, or None."""
    claimable = OutboxMessage.objects.filter(pk=message_id, attempts__lt=MAX_ATTEMPTS).filter(
        Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=OutboxStatus.SENDING, lease_until__lt=now)
    )
    seen = claimable.values_list("attempts", flat=True).first()
    if seen is None:
        return None
    won = claimable.filter(attempts=seen).update(
        status=OutboxStatus.SENDING, attempts=seen + 1, lease_until=now + LEASE
    )
    return seen + 1 if won else None


def _retry_later(message_id: int, at: datetime) -> None:
    """Queue the next try for `at` where the backend can defer; recovery catches the rest."""
    if task_backends[send_outbox.backend].supports_defer:
        send_outbox.using(run_after=at).enqueue(message_id)


def deliver(message_id: int, now: datetime) -> str:
    """One attempt at one message (see the module's notes); returns its status after it."""
    attempt = _claim(message_id, now)
    message = OutboxMessage.objects.get(pk=message_id)
    if attempt is None:
        return str(message.status)
    mine = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxStatus.SENDING, attempts=attempt
    )
    try:
        EmailMessage(subject=message.subject, body=message.body, to=list(message.recipients)).send()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if attempt >= MAX_ATTEMPTS:
            log.error("email %s (%s) failed %s times: %s", message_id, message.kind, attempt, error)
            mine.update(status=OutboxStatus.FAILED, failed_at=now, last_error=error)
            return OutboxStatus.FAILED.value
        later = now + backoff(attempt)
        log.warning(
            "email %s attempt %s failed, next try at %s: %s", message_id, attempt, later, error
        )
        mine.update(status=OutboxStatus.PENDING, next_attempt_at=later, last_error=error)
        _retry_later(message_id, later)
        return OutboxStatus.PENDING.value
    done = {"status": OutboxStatus.SENT, "sent_at": now, "last_error": "", "lease_until": None}
    if message.body_is_secret:
        done["body"] = SECRET_SENT
    mine.update(**done)
    hook = _sent_hooks.get(message.kind)
    if hook is not None:
        try:
            hook(message)
        except Exception:  # the email went: a note about it failing must not resend it
            log.exception("after sending email %s", message_id)
    return OutboxStatus.SENT.value


@task
def send_outbox(message_id: int) -> str:
    """The background job that sends one outbox message (idempotent); its status after."""
    from django.utils import timezone

    return deliver(message_id, timezone.now())


def recover_outbox(now: datetime | None = None) -> int:
    """Queue again the messages a killed worker left "sending" (lease run out) and the pending
    ones whose task was lost; a stale one with no attempts left ends failed. How many."""
    from django.utils import timezone

    now = now or timezone.now()
    stale = Q(status=OutboxStatus.SENDING, lease_until__lt=now)
    spent = OutboxMessage.objects.filter(stale, attempts__gte=MAX_ATTEMPTS)
    spent.update(
        status=OutboxStatus.FAILED,
        failed_at=now,
        last_error="The worker stopped while sending, on the last attempt.",
    )
    lost = Q(status=OutboxStatus.PENDING, next_attempt_at__lt=now - UNCLAIMED_AFTER)
    again = list(OutboxMessage.objects.filter(stale | lost).values_list("pk", flat=True))
    for pk in again:
        enqueue_on_commit(send_outbox, pk)
    return len(again)


def retry_failed(actor: User, message: OutboxMessage, now: datetime) -> bool:
    """Give a failed message a fresh set of attempts (an admin fixed the mail server or the
    address); False if it was not failed. Clinic admins only; audited."""
    require(actor, Capability.MANAGE_USERS, message)
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.FAILED).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, failed_at=None
        )
        if updated:
            record_event(actor=actor, action=Action.UPDATE, obj=message, detail={"retry": True})
            enqueue_on_commit(send_outbox, message.pk)
    return bool(updated)
