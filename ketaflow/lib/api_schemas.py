"""Building blocks for API schemas: strict inputs that fail as 422s, never as 500s.

JSON is parsed into Python values before pydantic sees them, so pydantic's lax mode would
accept `1` for a date (1970-01-01) or `"yes"` for a boolean. Chart data must not be guessed:
dates are ISO strings, booleans are true/false, ids are positive 64-bit integers, and text
may not carry NUL characters or lone surrogates (PostgreSQL cannot store them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.utils import timezone
from ninja import Path, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StrictBool

MAX_ID = 2**63 - 1


def _storable_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode (no lone surrogates).") from None
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, date | str):
        return value
    raise ValueError("Give a date as text in the form YYYY-MM-DD.")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime | str):
        return value
    raise ValueError("Give a date-time as ISO 8601 text, e.g. 2025-03-01T09:30:00Z.")


def _aware(value: datetime) -> datetime:
    """A date-time without an offset is read in the clinic's time zone."""
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


Text = Annotated[str, AfterValidator(_storable_text)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(_aware)]
Bool = StrictBool
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def text(max_length: int, description: str, *, min_length: int = 0, default: Any = ...) -> Any:
    """A Field for free text, with its maximum length stated in the OpenAPI description."""
    return Field(
        default=default,
        min_length=min_length,
        max_length=max_length,
        description=f"{description} (at most {max_length} characters)",
    )


def choices_description(intro: str, choices: Any) -> str:
    """'intro. One of: `a` (Label A), `b` (Label B)' for a Django TextChoices class."""
    pairs = ", ".join(f"`{value}` ({label})" for value, label in choices.choices)
    return f"{intro} One of: {pairs}."


class InputSchema(Schema):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
