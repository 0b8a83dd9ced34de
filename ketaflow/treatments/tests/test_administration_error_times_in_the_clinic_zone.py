"""Administration errors show their clock times in the clinic's zone (the core keeps UTC).

In British summer time an event at 12:00 UTC is 13:00 on the clinic's wall: the message the
nurse sees must say 13:00, never 12:00.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db
SUMMER_NOON = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # 13:00 in London


@pytest.fixture(autouse=True)
def _summer(clock: Callable[[datetime], None]) -> None:
    clock(SUMMER_NOON)


def _start_and_stop(nurse: Any, session: Any) -> None:
    services.record_administration(
        nurse,
        session,
        fresh(session).version,
        kind="start",
        rate_ml_per_h=52.5,
        at=SUMMER_NOON - timedelta(minutes=50),
    )
    services.record_administration(
        nurse, session, fresh(session).version, kind="stop", at=SUMMER_NOON - timedelta(minutes=10)
    )


def test_an_event_after_the_stop_names_the_stop_in_clinic_time(nurse: Any, ordered: Any) -> None:
    _start_and_stop(nurse, ordered)
    with pytest.raises(ValidationError) as err:
        services.record_administration(
            nurse, ordered, fresh(ordered).version, kind="bolus", bolus_mg=5
        )
    (message,) = err.value.message_dict["kind"]
    assert "stopped at 12:50" in message  # 11:50 UTC
    assert "11:50" not in message


def test_an_event_out_of_order_names_both_times_in_clinic_time(nurse: Any, ordered: Any) -> None:
    services.record_administration(
        nurse,
        ordered,
        fresh(ordered).version,
        kind="start",
        rate_ml_per_h=52.5,
        at=SUMMER_NOON - timedelta(minutes=20),
    )
    with pytest.raises(ValidationError) as err:
        services.record_administration(
            nurse,
            ordered,
            fresh(ordered).version,
            kind="pause",
            at=SUMMER_NOON - timedelta(minutes=30),
        )
    (message,) = err.value.message_dict["kind"]
    assert "this event at 12:30; the one before at 12:40" in message


def test_the_session_page_shows_the_clinic_time(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    _start_and_stop(nurse, ordered)
    response = login(client, nurse).post(
        reverse("treatments:act", args=[ordered.pk, "event"]),
        {"version": fresh(ordered).version, "kind": "bolus", "bolus_mg": "5"},
        follow=True,
    )
    body = response.content.decode()
    assert "stopped at 12:50" in body
    assert "stopped at 11:50" not in body
