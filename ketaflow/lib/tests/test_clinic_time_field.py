"""The HH:MM a nurse types is the clinic's local time today, kept as an aware UTC instant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django import forms
from django.core.exceptions import ValidationError

from ketaflow.lib.forms import ClinicTimeField, add_service_errors

Pin = Callable[[datetime], None]


@dataclass(frozen=True)
class Clinic:
    timezone: str


NEW_YORK = Clinic("America/New_York")
LONDON = Clinic("Europe/London")
SYDNEY = Clinic("Australia/Sydney")


def field(clinic: Clinic, **kwargs: object) -> ClinicTimeField:
    return ClinicTimeField(clinic=clinic, tolerance=timedelta(minutes=2), **kwargs)  # type: ignore[arg-type]


def test_a_bare_time_is_today_on_the_clinics_clock(clock: Pin) -> None:
    clock(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # 10:00 in New York (EST, UTC-5)
    when = field(NEW_YORK).clean("09:40")
    assert when == datetime(2026, 11, 25, 14, 40, tzinfo=UTC)
    assert when.utcoffset() == timedelta(0)


def test_today_is_the_clinics_day_not_utcs(clock: Pin) -> None:
    clock(datetime(2026, 11, 25, 22, 0, tzinfo=UTC))  # 09:00 on the 26th in Sydney (AEDT)
    assert field(SYDNEY).clean("08:30") == datetime(2026, 11, 25, 21, 30, tzinfo=UTC)


def test_blank_is_now_for_the_service_to_fill(clock: Pin) -> None:
    assert field(LONDON).clean("  ") is None


def test_on_the_spring_forward_day_a_time_uses_that_hours_offset(clock: Pin) -> None:
    # London moves to BST at 01:00 UTC on 29 March 2026; at 10:00 BST a nurse types 09:15.
    clock(datetime(2026, 3, 29, 9, 0, tzinfo=UTC))
    assert field(LONDON).clean("09:15") == datetime(2026, 3, 29, 8, 15, tzinfo=UTC)
    assert field(LONDON).clean("00:30") == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # still GMT


def test_on_the_fall_back_day_a_time_after_the_change_uses_standard_time(clock: Pin) -> None:
    # New York returns to EST at 06:00 UTC on 1 November 2026.
    clock(datetime(2026, 11, 1, 15, 0, tzinfo=UTC))  # 10:00 EST
    assert field(NEW_YORK).clean("09:00") == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert field(NEW_YORK).clean("00:30") == datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # EDT


def test_a_time_later_than_now_beyond_the_tolerance_is_refused(clock: Pin) -> None:
    clock(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # 10:00 in New York
    assert field(NEW_YORK).clean("10:02") == datetime(2026, 11, 25, 15, 2, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        field(NEW_YORK).clean("10:03")
    assert refused.value.messages == [
        "10:03 is later than now (10:00): give a time that has passed, or leave it blank for now."
    ]


def test_a_later_time_can_mean_last_night(clock: Pin) -> None:
    clock(datetime(2026, 11, 25, 13, 30, tzinfo=UTC))  # 08:30 in New York
    last_food = field(NEW_YORK, future="yesterday").clean("21:40")
    assert last_food == datetime(2026, 11, 25, 2, 40, tzinfo=UTC)  # 21:40 EST on the 24th


def test_a_date_and_time_is_read_on_the_clinics_clock_and_refused_if_future(clock: Pin) -> None:
    clock(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    assert field(NEW_YORK).clean("2026-11-24 23:50") == datetime(2026, 11, 25, 4, 50, tzinfo=UTC)
    with pytest.raises(ValidationError, match="later than now"):
        field(NEW_YORK).clean("2026-11-26 08:00")


def test_anything_else_asks_for_hh_mm(clock: Pin) -> None:
    with pytest.raises(ValidationError) as bad:
        field(LONDON).clean("half past")
    assert bad.value.messages == ["Enter a time as HH:MM (or a date and time, YYYY-MM-DD HH:MM)."]


class _Form(forms.Form):
    weight = forms.CharField(required=False)


def test_service_errors_land_on_the_field_the_top_or_with_the_pages_label() -> None:
    form = _Form({})
    assert form.is_valid()
    add_service_errors(
        form,
        ValidationError(
            {"weight": ["Too light."], "entered_value": ["Odd."], "__all__": ["Stale page."]}
        ),
        label=lambda name: {"entered_value": "Today's weight"}.get(name, name),
    )
    assert form.errors["weight"] == ["Too light."]
    assert form.non_field_errors() == ["Today's weight: Odd.", "Stale page."]
