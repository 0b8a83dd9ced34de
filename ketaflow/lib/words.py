"""`{% load words %}{{ value|words }}`: a stored name read as words (`front_desk` -> front desk).

For names the record keeps as they were written (the audit trail's parts, object kinds and
the roles in its actor labels are stored, never rewritten): the screen shows them as words.
A value that has a label of its own (a choice, a finding's message) uses that instead.
"""

from __future__ import annotations

import re

from django import template

register = template.Library()

_CODE = re.compile(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b")


@register.filter
def words(value: object) -> str:
    """Every snake_case name in the text with its underscores read as spaces."""
    return _CODE.sub(lambda m: m.group(1).replace("_", " "), str(value or ""))
