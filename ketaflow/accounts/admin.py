"""Clinics, staff and API tokens in the Django admin, which only platform operators may open.

Clinic staff never use the admin: clinic admins manage their users on the Ketaflow pages,
scoped to their clinic. The admin sees every clinic, so it is for superusers only (who
also need two-factor sign-in outside demo clinics). Nothing here can be deleted: people and
clinics are referenced by the audit log and the charts.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaflow.accounts.models import ApiToken, Clinic, Organisation, User
from ketaflow.audit.admin import ReadOnlyAdminMixin


def _platform_operators_only(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


admin.site.has_permission = _platform_operators_only  # type: ignore[method-assign]
admin.site.site_header = "Ketaflow platform administration"
admin.site.site_title = "Ketaflow admin"
admin.site.index_title = "Platform operators only"


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(NoDeleteMixin, admin.ModelAdmin):
    """Grouping clinics into an organisation opens emergency access between them, nothing more."""

    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Clinic)
class ClinicAdmin(NoDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "organisation", "timezone", "is_synthetic", "created_at")
    list_filter = ("is_synthetic", "organisation")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(User)
class UserAdmin(NoDeleteMixin, DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "clinic", "role", "is_active")
    list_filter = ("clinic", "role", "is_active", "is_superuser")
    list_select_related = ("clinic",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Clinic and role", {"fields": ("clinic", "role", "title", "may_break_glass")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Clinic and role", {"fields": ("clinic", "role", "title")}),
    )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Never: an operator who sets someone's password could sign in as them. People change
        their own password; a forgotten one is reset by the person, not typed by an operator."""
        raise PermissionDenied("Passwords are never set from the admin.")


# django-otp's own admin shows a TOTP device's key and QR code, and a static device's codes:
# anyone who reads them can pass that person's second factor. Devices are listed, never opened
# with their secrets, and never edited here.
for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)


@admin.register(TOTPDevice, StaticDevice)
class SecondFactorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "name", "confirmed")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "name")
    fields = ("user", "name", "confirmed")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tokens are issued and revoked by their owners; only the prefix is ever shown."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    exclude = ("digest",)
