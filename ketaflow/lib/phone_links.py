"""Phone numbers a patient can tap: `{% load phone_links %}`, then `|tel_links` or `|tel`.

Crisis and clinic numbers are read on phones, often in distress; a number that dials on a
tap saves retyping it. Registered as a template library in settings (`lib` has no
templates of its own), so every app's templates may use it.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

#: A dialable number inside text: digits with spaces or hyphens between, an optional
#: leading +; 3 to 15 digits (988, 116 123, 01632 960000, +44 20 7946 0000).
_NUMBER = re.compile(r"(?<![\w+])\+?\d(?:[ \-]?\d){2,14}(?![\w])")


def _dial(number: str) -> str:
    return ("+" if number.startswith("+") else "") + re.sub(r"\D", "", number)


def _link(number: str) -> str:
    return format_html('<a href="tel:{}">{}</a>', _dial(number), number)


@register.filter(is_safe=True)
def tel_links(text: object) -> SafeString:
    """The text, escaped, with every phone number in it made a `tel:` link."""
    escaped = str(conditional_escape(str(text)))
    return mark_safe(_NUMBER.sub(lambda m: _link(m.group(0)), escaped))


@register.filter(is_safe=True)
def tel(number: object) -> SafeString:
    """One phone number as a `tel:` link (as typed if it holds no digits to dial)."""
    text = str(number or "").strip()
    if not re.search(r"\d", text):
        return conditional_escape(text)
    return format_html('<a href="tel:{}">{}</a>', _dial(text), text)
