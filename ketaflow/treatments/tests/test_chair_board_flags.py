"""The chair board escalates: a critical alert turns the row red with its values in words,
vitals overdue on the protocol's schedule and a pause longer than the protocol allows are
flagged, and no internal code reaches the board."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from ketaflow.conftest import DEFAULT_NOW
from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db


def _board(client: Any, login: Any, user: Any) -> str:
    return login(client, user).get(reverse("treatments:board")).content.decode()


def _start(nurse: Any, session: Any, at_minutes_ago: float = 0) -> Any:
    services.record_administration(
        nurse, session, fresh(session).version, kind="start", rate_ml_per_h=52.5,
        at=ago(at_minutes_ago),
    )  # fmt: skip
    return fresh(session)


def _row(html: str, chair: str) -> str:
    """The board's table row of this chair."""
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S):
        if chair in row and "<td" in row:
            return row
    raise AssertionError(f"no row for {chair}")


def test_a_critical_blood_pressure_turns_the_row_red_with_its_values(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    session = _start(nurse, ordered, at_minutes_ago=5)
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=185, dbp=112, hr=88, spo2=97, rr=14,
        taken_at=ago(1),
    )  # fmt: skip
    row = _row(_board(client, login, nurse), "Chair 1")
    assert 'class="board-row-critical"' in row
    assert ">Critical</strong>" in row  # said in words, not only in colour
    assert "BP 185/112 — at or above the limit (180/110)" in row
    assert "session.sbp.high" not in row and "sbp" not in row


def test_a_calm_row_is_not_flagged(client: Any, login: Any, nurse: Any, ordered: Any) -> None:
    session = _start(nurse, ordered)
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=124, dbp=80, hr=72, spo2=98, rr=14
    )
    row = _row(_board(client, login, nurse), "Chair 1")
    assert "board-row-" not in row and "Critical" not in row and "overdue" not in row


def test_vitals_overdue_on_the_protocols_interval_are_flagged(
    client: Any, login: Any, nurse: Any, ordered: Any, clock: Any
) -> None:
    session = _start(nurse, ordered)
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=124, dbp=80, hr=72, spo2=98, rr=14
    )
    clock(DEFAULT_NOW + timedelta(minutes=17))  # due at 10 min during the infusion
    row = _row(_board(client, login, nurse), "Chair 1")
    assert "Vitals overdue by 7 min (due every 10 min during the infusion)" in row
    assert 'class="board-row-warn"' in row and ">Check</strong>" in row


def test_vitals_within_the_grace_minutes_are_not_overdue(
    client: Any, login: Any, nurse: Any, ordered: Any, clock: Any
) -> None:
    session = _start(nurse, ordered)
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=124, dbp=80, hr=72, spo2=98, rr=14
    )
    clock(DEFAULT_NOW + timedelta(minutes=14))
    assert "overdue" not in _row(_board(client, login, nurse), "Chair 1")


def test_a_pause_longer_than_the_protocol_allows_is_flagged(
    client: Any, login: Any, nurse: Any, ordered: Any, clock: Any
) -> None:
    session = _start(nurse, ordered)
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=124, dbp=80, hr=72, spo2=98, rr=14
    )
    services.record_administration(nurse, session, fresh(session).version, kind="pause")
    clock(DEFAULT_NOW + timedelta(minutes=8))
    assert "longest allowed" not in _row(_board(client, login, nurse), "Chair 1")
    clock(DEFAULT_NOW + timedelta(minutes=12, seconds=10))
    row = _row(_board(client, login, nurse), "Chair 1")
    assert "Paused 12 min (longest allowed 10)" in row


def test_no_internal_code_reaches_the_board(
    client: Any, login: Any, nurse: Any, ordered: Any, clock: Any
) -> None:
    session = _start(nurse, ordered, at_minutes_ago=5)
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=190, dbp=100, hr=130, spo2=89, rr=7,
        taken_at=ago(1),
    )  # fmt: skip
    services.record_administration(nurse, session, fresh(session).version, kind="pause")
    clock(DEFAULT_NOW + timedelta(minutes=25))
    html = _board(client, login, nurse)
    body = re.sub(r"<[^>]+>", " ", html)  # the words on screen, not the markup
    assert not re.search(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z]+\.[a-z_]+\b", body), body
    assert "Respiratory" in body or "respiratory" in body
