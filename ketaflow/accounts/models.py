"""Clinics, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ketaflow.accounts.roles import ROLES_REQUIRING_2FA, Role, capabilities_of


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/London.")


class Clinic(models.Model):
    """A tenant: one clinic never sees another's patients."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    is_synthetic = models.BooleanField(
        default=False,
        help_text="Synthetic demo clinic: every record in it is made up.",
    )
    phone = models.CharField(
        max_length=200,
        blank=True,
        help_text="The number patients call: on the discharge sheet, the portal, crisis pages.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (synthetic)" if self.is_synthetic else self.name


class User(AbstractUser):
    """A member of staff in one clinic, with one role."""

    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="users", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    title = models.CharField(max_length=60, blank=True, help_text="e.g. RN, MD, NP")

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.title}" if self.title else name

    def can(self, capability: str) -> bool:
        """Whether this user's role grants `capability` (clinic scoping is separate)."""
        return (
            self.is_active
            and self.clinic_id is not None
            and capability in (capabilities_of(self.role))
        )

    @property
    def clinic_pk(self) -> int:
        """The user's clinic id; a user with no clinic may see no clinic's data."""
        if self.clinic_id is None:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Your account is not attached to a clinic.")
        return self.clinic_id

    @property
    def requires_2fa(self) -> bool:
        """Prescribers and clinic admins outside demo clinics, and every platform operator.

        A superuser opens the admin, which sees every clinic: a demo clinic's password is
        public, so a superuser never skips the second factor, wherever they belong.
        """
        if self.is_superuser:
            return True
        if self.role not in ROLES_REQUIRING_2FA:
            return False
        return not (self.clinic is not None and self.clinic.is_synthetic)


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only a hash is stored; the token is shown once.

    Every token expires (`DEFAULT_DAYS` unless its owner chooses 1-`MAX_DAYS`), and may be
    read-only: it then reads what its owner may read and changes nothing.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    read_only = models.BooleanField(
        default=False, help_text="Reads only: any request that would change data is refused."
    )

    PREFIX = "kf_"
    DEFAULT_DAYS = 90
    MAX_DAYS = 365

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(
        cls, user: User, name: str, *, days: int = DEFAULT_DAYS, read_only: bool = False
    ) -> tuple[ApiToken, str]:
        """Create a token; returns it with the raw secret, which is never stored."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=raw[:10],
            digest=cls.hash(raw),
            expires_at=timezone.now() + timedelta(days=days),
            read_only=read_only,
        )
        return token, raw
