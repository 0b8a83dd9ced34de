"""Clinics, users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ketaflow.accounts.roles import ROLES_REQUIRING_2FA, Capability, Role, capabilities_of


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/London.")


class Organisation(models.Model):
    """A group of clinics run by one organisation (set in the Django admin).

    Tenancy stays per clinic: belonging to one organisation gives no clinic any reach into
    another's records. Its one use is emergency access (break-glass, §170.315(d)(6)): a
    designated clinician may open a read-only, time-limited, audited view of a patient of
    another clinic of the same organisation (`ketaflow.emergency`), never of one outside it.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


#: How long an emergency access grant lasts: each clinic's default, within these bounds.
EMERGENCY_MINUTES_DEFAULT = 60
EMERGENCY_MINUTES_MAX = 240


class Clinic(models.Model):
    """A tenant: one clinic never sees another's patients (break-glass aside, see
    `Organisation`)."""

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
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="clinics",
        null=True,
        blank=True,
        help_text="Clinics of one organisation may reach each other's patients only through "
        "emergency access (break-glass).",
    )
    emergency_access_minutes = models.PositiveSmallIntegerField(
        default=EMERGENCY_MINUTES_DEFAULT,
        validators=[MinValueValidator(15), MaxValueValidator(EMERGENCY_MINUTES_MAX)],
        help_text="How long an emergency access grant by this clinic's staff lasts, at most.",
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
    may_break_glass = models.BooleanField(
        default=False,
        help_text="Designated by a clinic admin for emergency access to another clinic's "
        "patient (nurses and prescribers only).",
    )

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
    def can_break_glass(self) -> bool:
        """Designated for emergency access, by a role that may be, in a clinic that belongs
        to an organisation (there is nobody else to reach otherwise)."""
        return (
            self.may_break_glass
            and self.can(Capability.BREAK_GLASS)
            and self.clinic is not None
            and self.clinic.organisation_id is not None
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
