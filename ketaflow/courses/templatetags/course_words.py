"""`{% load course_words %}`: a course's stored codes as the clinic reads them.

`{{ appointment.phase|phase_name:protocol }}`: appointments and plans keep the phase's code;
the protocol (`Protocol.phase_name`) names it. `protocols` may also be several protocols (a
patient's courses): the first that knows the code names it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from ketaflow.clinical.protocols import Protocol

register = template.Library()


@register.filter
def phase_name(code: object, protocols: Any) -> str:
    """The phase's name in the given protocol(s), else the code read as words."""
    text = str(code or "")
    found: Iterable[Protocol] = (
        [protocols] if isinstance(protocols, Protocol) else list(protocols or ())
    )
    for protocol in found:
        if any(p.code == text for p in protocol.phases):
            return protocol.phase_name(text)
    return text.replace("_", " ")
