"""Writes of accounts data: one transaction each, audited."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import ApiToken, User
from ketaflow.accounts.roles import Capability, Role
from ketaflow.audit.services import record_event


@transaction.atomic
def create_staff_user(
    actor: User,
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    title: str = "",
) -> User:
    """A clinic admin adds a member of staff to their own clinic."""
    if not actor.can(Capability.MANAGE_USERS):
        raise PermissionDenied("Only a clinic admin can add users.")
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Role.values)}."})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken."})
    user = User(
        username=username,
        role=role,
        clinic_id=actor.clinic_id,
        first_name=first_name,
        last_name=last_name,
        email=email,
        title=title,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_event(actor=actor, action="create", obj=user, detail={"role": role})
    return user


@transaction.atomic
def set_user_active(actor: User, user: User, *, active: bool) -> User:
    """Staff are deactivated, never deleted: the record of what they did must remain."""
    if not actor.can(Capability.MANAGE_USERS) or user.clinic_id != actor.clinic_id:
        raise PermissionDenied("Only a clinic admin of the same clinic can change this user.")
    if user.pk == actor.pk and not active:
        raise ValidationError("You cannot deactivate your own account.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    record_event(actor=actor, action="update", obj=user, detail={"is_active": active})
    return user


@transaction.atomic
def issue_api_token(
    actor: User, name: str, *, days: int = ApiToken.DEFAULT_DAYS, read_only: bool = False
) -> tuple[ApiToken, str]:
    if not name.strip():
        raise ValidationError({"name": "Give the token a name, e.g. 'reporting script'."})
    if isinstance(days, bool) or not 1 <= days <= ApiToken.MAX_DAYS:
        raise ValidationError({"days": f"A token lasts 1 to {ApiToken.MAX_DAYS} days."})
    token, raw = ApiToken.issue(actor, name.strip(), days=days, read_only=read_only)
    record_event(
        actor=actor,
        action="create",
        obj=token,
        detail={"name": token.name, "days": days, "read_only": read_only},
    )
    return token, raw


@transaction.atomic
def revoke_api_token(actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise PermissionDenied("You can revoke only your own tokens.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(actor=actor, action="update", obj=token, detail={"revoked": True})
