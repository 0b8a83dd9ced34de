"""Errors the core raises for bad input: always say what to fix."""

from __future__ import annotations


class ClinicalInputError(ValueError):
    """Input the core cannot decide on (missing, out of range, impossible).

    `field` names the input at fault (an item, a vital sign, an option) so a form or a
    command line can put the message next to it. Never an alert: an impossible reading is
    an input error, not a clinical finding.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message
