"""Writes of accounts data: one transaction each, audited."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import ApiToken, User
from ketaflow.accounts.roles import Capability, Role, capabilities_of
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
def set_break_glass(actor: User, user: User, *, allowed: bool) -> User:
    """A clinic admin designates (or no longer designates) a nurse or prescriber of their own
    clinic for emergency access to another clinic's patient (§170.315(d)(6)). Least privilege:
    a role without `BREAK_GLASS` (front desk, admins, researchers) can never be designated."""
    if not actor.can(Capability.MANAGE_USERS) or user.clinic_id != actor.clinic_id:
        raise PermissionDenied("Only a clinic admin of the same clinic can change this user.")
    if allowed and Capability.BREAK_GLASS not in capabilities_of(user.role):
        raise ValidationError("Only nurses and prescribers can be designated for emergency access.")
    user.may_break_glass = allowed
    user.save(update_fields=["may_break_glass"])
    record_event(actor=actor, action="update", obj=user, detail={"may_break_glass": allowed})
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


#: How many one-time backup codes a person holds, and their name on the static device.
BACKUP_CODES = 10
BACKUP_DEVICE_NAME = "Backup codes"
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def normalise_backup_code(text: str) -> str:
    """What a person types ("K7QM-2XRT", "k7qm 2xrt") as the stored form ("k7qm2xrt")."""
    return "".join(text.split()).replace("-", "").lower()


@transaction.atomic
def issue_backup_codes(user: User) -> list[str]:
    """Ten one-time codes for signing in when the authenticator app is lost (#15, account
    recovery), shown once. Issuing new ones voids the old. Only a person who already passed
    two-factor sign-in may do it (the view checks `is_verified`). Audited, codes not logged.

    Each code is 8 characters of a 31-letter alphabet (about 40 bits); django-otp's static
    device throttles wrong guesses like the authenticator's codes.
    """
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()  # credentials, not records: the void codes go
    codes = [
        "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(8)) for _ in range(BACKUP_CODES)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    record_event(actor=user, action="update", obj=user, detail={"2fa": "backup codes issued"})
    return [f"{c[:4]}-{c[4:]}" for c in codes]


@transaction.atomic
def reset_second_factor(actor: User, user: User, *, reason: str) -> None:
    """A clinic admin clears a colleague's second factor (a lost phone): the person sets up a
    new authenticator at their next sign-in. The devices are credentials, not records; what
    remains is the audit row saying who reset whose, when and why."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not actor.can(Capability.MANAGE_USERS) or user.clinic_id != actor.clinic_id:
        raise PermissionDenied("Only a clinic admin of the same clinic can reset this user.")
    if user.pk == actor.pk:
        raise ValidationError(
            "You cannot reset your own second factor: sign in with a backup code, or ask "
            "another clinic admin."
        )
    if user.is_superuser:
        raise PermissionDenied("A platform operator's second factor is reset by another one.")
    reason = reason.strip()
    if len(reason) < 5:
        raise ValidationError({"reason": "Say why (for example: phone lost, confirmed by call)."})
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    record_event(
        actor=actor,
        action="update",
        obj=user,
        detail={"2fa": "reset", "reason": reason, "devices_removed": removed},
    )
