"""Django admin for platform operators: the audit log, read-only, and a read-only base for records.

The admin is a platform operator's tool (superusers only, see `accounts.admin`); clinics use
the Ketaflow pages. Nothing clinical can be added, changed or deleted here, and whatever an
operator opens is itself written to the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from ketaflow.audit.models import AccessEvent, Action
from ketaflow.audit.services import record_event


class ReadOnlyAdminMixin:
    """No add, change or delete in the admin: records change through the services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _clinic_id_of(obj: models.Model) -> int | None:
    clinic_id = getattr(obj, "clinic_id", None)
    if clinic_id is None and hasattr(obj, "patient"):
        clinic_id = obj.patient.clinic_id
    return clinic_id


class AuditedListMixin:
    """An operator opening a list (of patients, entries or audit events) is itself audited."""

    model: type[models.Model]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        record_event(
            actor=request.user,  # type: ignore[arg-type]
            action=Action.LIST,
            clinic_id=None,
            detail={"part": "admin", "model": self.model._meta.label},
        )
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


class AuditedRecordAdmin(AuditedListMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Read-only with change history; an operator's list and record views are audited."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None:
            record_event(
                actor=request.user,  # type: ignore[arg-type]
                action=Action.VIEW,
                obj=obj,
                clinic_id=_clinic_id_of(obj),
                detail={"part": "admin"},
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AccessEvent)
class AccessEventAdmin(AuditedListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log: searchable and filterable, never editable (the database refuses too)."""

    list_display = (
        "at",
        "actor_label",
        "action",
        "clinic",
        "patient",
        "object_type",
        "object_id",
        "ip_address",
        "channel",
    )
    list_filter = ("action", "channel", "clinic", ("at", admin.DateFieldListFilter))
    search_fields = (
        "actor_label",
        "object_type",
        "object_id",
        "ip_address",
        "request_id",
        "path",
        "patient__mrn",
        "patient__family_name",
    )
    date_hierarchy = "at"
    list_select_related = ("clinic", "patient")
    show_full_result_count = False
    list_per_page = 100
