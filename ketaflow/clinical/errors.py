"""Errors the core raises for bad input: always say what to fix."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime


class ClinicalInputError(ValueError):
    """Input the core cannot decide on (missing, out of range, impossible).

    `field` names the input at fault (an item, a vital sign, an option) so a form or a
    command line can put the message next to it. Never an alert: an impossible reading is
    an input error, not a clinical finding.

    `times` carries the clock times the message is about ({label: instant}, UTC like every
    time in the core). The core never formats a clock time itself: the message names what is
    wrong and the app shows the times in the clinic's zone (`with_times`).
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        times: Mapping[str, datetime] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.times: dict[str, datetime] = dict(times or {})

    def with_times(self, show: Callable[[datetime], str]) -> str:
        """The message followed by its times, each shown by `show` (e.g. in a clinic zone)."""
        if not self.times:
            return self.message
        shown = "; ".join(f"{label} {show(at)}" for label, at in self.times.items())
        return f"{self.message} ({shown})"

    def __str__(self) -> str:
        text = self.with_times(lambda at: at.isoformat())
        return f"{self.field}: {text}" if self.field else text
