"""`{% device_readings session %}`: the monitor's readings waiting on the session page."""

from __future__ import annotations

from typing import Any

from django import template

from ketaflow.accounts.roles import Capability
from ketaflow.devices import selectors

register = template.Library()


@register.inclusion_tag("devices/_pending_readings.html", takes_context=True)
def device_readings(context: template.Context, session: Any) -> dict[str, Any]:
    """Pending device readings for this session, with confirm/reject forms.

    Not audited separately: it is drawn only inside the session page, whose own view event
    records that this user opened this patient's session.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return {"rows": [], "show": False}
    if not user.can(Capability.CHART_SESSION):
        return {"rows": [], "show": False}
    rows = selectors.session_readings(user, session.pk, pending_only=True, audit=False)
    return {
        "rows": rows,
        "show": True,
        "s": session,
        "csrf_token": context.get("csrf_token"),
        "locked": session.status in ("signed", "discharged"),
    }
