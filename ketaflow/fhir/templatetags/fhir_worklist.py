"""`{% export_worklist %}`: the clinic admin's latest whole-clinic exports, as a section of the
staff home's worklist (drawn by `web/_worklist_section.html`; a template tag, because the page
shell sits beside this app in the layers and may not import it)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from ketaflow.accounts.roles import Capability
from ketaflow.fhir.models import JobStatus
from ketaflow.fhir.selectors import recent_exports
from ketaflow.lib.clock import local

register = template.Library()


@register.inclusion_tag("web/_worklist_section.html", takes_context=True)
def export_worklist(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.can(Capability.EXPORT_CLINIC_DATA):
        return {"section": None}
    items = []
    for job in recent_exports(user):
        status = job.get_status_display()
        if job.status == JobStatus.RUNNING:
            status += f": {job.done} of {job.total} patients"
        if job.error:
            status += f": {job.error}"
        created = local(job.created_at, user.clinic)
        items.append(
            {
                "text": f"{job.get_format_display()} export, {created:%d %b %H:%M}",
                "url": reverse("fhir:exports"),
                "note": status,
                "urgent": job.status == JobStatus.FAILED,
            }
        )
    return {
        "section": {
            "key": "exports",
            "title": "Clinic exports",
            "items": items,
            "total": len(items),
            "empty": "No export yet.",
            "more_url": reverse("fhir:exports"),
            "more_label": "Start an export",
        }
    }
