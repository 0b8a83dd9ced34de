"""Showing stored values to people: choice labels, yes/no, dates, and versions side by side.

Generic over any model, so the demographics page and every chart entry's history share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

EMPTY = "—"


def display_value(model: type[models.Model], name: str, value: Any) -> str:
    """One stored value as a person reads it."""
    if value is None or value == "" or value == []:
        return EMPTY
    field = model._meta.get_field(name)
    if isinstance(value, list):
        # A list of choice values (a JSONField) is labelled by the model's `LIST_CHOICES`.
        choices_of = getattr(model, "LIST_CHOICES", {}).get(name)
        labels = {str(k): str(v) for k, v in choices_of.choices} if choices_of else {}
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    choices = getattr(field, "flatchoices", None)
    if choices:
        return str(dict(choices).get(value, value))
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    return str(value)


def verbose_name(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    label = getattr(field, "verbose_name", name)
    text = str(label)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    value: str
    changed: bool = False


def field_rows(obj: models.Model, names: Iterable[str]) -> list[Row]:
    model = type(obj)
    return [Row(n, verbose_name(model, n), display_value(model, n, getattr(obj, n))) for n in names]


@dataclass(frozen=True)
class Version:
    """One saved state of a record, with what changed from the state before it."""

    at: datetime
    by: str
    reason: str
    kind: str  # created / changed
    rows: list[Row]

    @property
    def changed(self) -> list[Row]:
        return [r for r in self.rows if r.changed]


def history_versions(history: Sequence[Any], names: Sequence[str]) -> list[Version]:
    """simple-history records (newest first) → versions with changed fields flagged."""
    names = (*names, "status", "status_reason")
    versions: list[Version] = []
    ordered = list(history)
    for i, h in enumerate(ordered):
        older = ordered[i + 1] if i + 1 < len(ordered) else None
        model = h.instance_type
        rows = [
            Row(
                n,
                verbose_name(model, n),
                display_value(model, n, getattr(h, n)),
                changed=older is not None and getattr(older, n) != getattr(h, n),
            )
            for n in names
        ]
        user = h.history_user
        versions.append(
            Version(
                at=h.history_date,
                by=user.display_name if user is not None else "system",
                reason=h.history_change_reason or "",
                kind="created" if h.history_type == "+" else "changed",
                rows=rows,
            )
        )
    return versions
