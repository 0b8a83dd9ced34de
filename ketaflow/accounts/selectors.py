"""Reads of accounts data, scoped to the acting user's clinic."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from ketaflow.accounts.models import ApiToken, User
from ketaflow.accounts.roles import Capability


def clinic_users(actor: User) -> QuerySet[User]:
    if not actor.can(Capability.MANAGE_USERS):
        raise PermissionDenied("Only a clinic admin can list the clinic's users.")
    return User.objects.filter(clinic_id=actor.clinic_pk).order_by("last_name", "username")


def own_tokens(actor: User) -> QuerySet[ApiToken]:
    """The actor's tokens that still work (not revoked, not expired)."""
    return ApiToken.objects.filter(
        user=actor, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")
