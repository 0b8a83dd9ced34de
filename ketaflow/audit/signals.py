"""Sign-in, sign-out and failed sign-in go to the audit log too."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_event(actor=user, action=Action.SIGN_IN)


@receiver(user_logged_out)
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(actor=user, action=Action.SIGN_OUT)


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    record_event(
        actor=None,
        action=Action.SIGN_IN_FAILED,
        actor_label=f"unknown ({username})",
        detail={"username": username},
    )
