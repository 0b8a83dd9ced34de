"""`{% load portal_tags %}{% open_risk_alerts %}`: the open risk-alert count for staff pages.

For the staff home or the top bar: a red link with the number of alerts waiting, drawn only
for roles that read clinical data and only when there is something to act on.
"""

from __future__ import annotations

from typing import Any

from django import template

from ketaflow.portal.selectors import open_alert_count

register = template.Library()


@register.inclusion_tag("portal/staff/_alert_badge.html", takes_context=True)
def open_risk_alerts(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    count = open_alert_count(user) if user is not None and user.is_authenticated else 0
    return {"open_alerts": count}
