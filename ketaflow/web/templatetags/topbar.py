"""`{% topbar %}`: the page header, drawn once and reused while nothing it shows changed.

Every staff page draws it: the navigation for the reader's role with its counts, their name,
role and clinic, the patient search. What it shows depends on the reader, the page (which
item is current, whether the search shows) and the data (`ops.freshness` ends the reuse on
any write), so it is memoised on exactly those.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from ketaflow.ops import freshness

register = template.Library()

TEMPLATE = "web/_topbar.html"


@register.simple_tag(takes_context=True)
def topbar(context: template.Context) -> SafeString:
    request = context.get("request")
    user = context.get("user")
    if request is None or user is None or not user.is_authenticated:
        return SafeString(render_to_string(TEMPLATE, _flat(context), request))
    match = request.resolver_match
    key = (user.pk, request.path, match.view_name if match else "")
    html, _ = freshness.render_memo(request, "topbar", key, TEMPLATE, lambda: _flat(context))
    return html


def _flat(context: template.Context) -> dict[str, Any]:
    return {str(k): v for k, v in context.flatten().items()}
