"""The chair-side action forms read the page's inputs as the services expect them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.http import QueryDict

from ketaflow.treatments.forms import actions
from ketaflow.treatments.services import UNCHANGED


@dataclass(frozen=True)
class Clinic:
    timezone: str


NEW_YORK = Clinic("America/New_York")


def post(query: str) -> QueryDict:
    return QueryDict(query)


def test_vitals_read_numbers_the_oxygen_tick_and_the_time_on_the_clinics_clock() -> None:
    # The pinned clock is 10:30 UTC, 05:30 in New York.
    form = actions.VitalsForm(
        post("version=3&sbp=128&dbp=&hr=71.0&on_oxygen=&on_oxygen=on&taken_at=05:10"),
        clinic=NEW_YORK,
    )
    assert form.is_valid(), form.errors
    assert form.session_version == 3
    kwargs = form.service_kwargs()
    assert kwargs["sbp"] == 128.0 and kwargs["dbp"] is None and kwargs["on_oxygen"] is True
    assert kwargs["taken_at"] == datetime(2026, 11, 25, 10, 10, tzinfo=UTC)


def test_bad_inputs_are_named_with_the_pages_messages() -> None:
    form = actions.VitalsForm(post("version=x&hr=fast&taken_at=23:00"), clinic=NEW_YORK)
    assert not form.is_valid()
    assert form.errors["version"] == ["Reload the page."]
    assert form.errors["hr"] == ["Enter a number."]
    assert "later than now" in form.errors["taken_at"][0]


def test_the_checklist_keeps_what_it_did_not_send_and_reads_weight_as_typed() -> None:
    form = actions.ChecklistForm(
        post("version=1&weight_kg=70,4&alcohol_today=unknown&drugs_today=no"), clinic=NEW_YORK
    )
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert kwargs["weight_kg"] == Decimal("70.4")
    assert kwargs["alcohol_today"] is None and kwargs["drugs_today"] is False
    assert kwargs["escort_name"] is UNCHANGED and kwargs["last_food_at"] is UNCHANGED
    assert kwargs["pregnancy_test_positive"] is None


def test_last_food_later_than_now_is_last_night() -> None:
    form = actions.ChecklistForm(post("version=1&last_food_at=21:40"), clinic=NEW_YORK)
    assert form.is_valid(), form.errors
    assert form.service_kwargs()["last_food_at"] == datetime(2026, 11, 25, 2, 40, tzinfo=UTC)


def test_only_a_start_or_rate_change_reads_the_rate_box_and_only_a_bolus_its_mg() -> None:
    stop = actions.AdministrationForm(
        post("version=1&kind=stop&rate_ml_per_h=junk&bolus_mg=5"), clinic=NEW_YORK
    )
    assert stop.is_valid(), stop.errors
    assert "rate_ml_per_h" not in stop.service_kwargs()
    assert "bolus_mg" not in stop.service_kwargs()
    start = actions.AdministrationForm(
        post("version=1&kind=start&rate_ml_per_h=12.5"), clinic=NEW_YORK
    )
    assert start.is_valid() and start.service_kwargs()["rate_ml_per_h"] == 12.5


def test_override_reasons_are_read_by_rule_and_blank_ones_dropped() -> None:
    form = actions.DischargeForm(
        post("version=2&override:aldrete=seen by Dr A&override:padss=%20&escort_present=on"),
        clinic=NEW_YORK,
    )
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert kwargs["overrides"] == {"aldrete": "seen by Dr A"}
    assert kwargs["escort_present"] is True and kwargs["told_not_to_drive"] is UNCHANGED
    assert kwargs["discharge"] is False


def test_a_whole_number_is_asked_for_where_one_is_needed() -> None:
    form = actions.StrikeEventForm(post("version=2&event_id=8.5"), clinic=NEW_YORK)
    assert not form.is_valid()
    assert form.errors["event_id"] == ["Enter a whole number."]
