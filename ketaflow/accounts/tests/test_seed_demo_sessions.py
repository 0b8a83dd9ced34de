"""`ketaflow seed-demo`, today's live treatment sessions on the chair board.

They depend on the time the seed runs: the tests pin "now" to a Monday 11:02 in London (live
sessions in four chairs), a Saturday (closed: none, and the seed says why) and a Monday 07:00
(before opening: none; the other process tests pin that moment for the exact schedule).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaflow.accounts.management.commands._demo_data import DEMO_PASSWORD
from ketaflow.accounts.models import User
from ketaflow.audit.models import AccessEvent
from ketaflow.clinical import administration as adm
from ketaflow.courses.models import Appointment
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    AdministrationEvent,
    AlertAck,
    ChecklistAnswers,
    DoseOrder,
    SideEffect,
    TreatmentSession,
    VitalsReading,
)
from ketaflow.treatments.selectors import board

MONDAY_LATE_MORNING = datetime(2026, 11, 23, 11, 2, tzinfo=UTC)  # 11:02 in London
SATURDAY = datetime(2026, 11, 21, 11, 2, tzinfo=UTC)
MONDAY_EARLY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
SESSION_MODELS: list[Any] = [
    TreatmentSession,
    ChecklistAnswers,
    DoseOrder,
    AdministrationEvent,
    VitalsReading,
    AlertAck,
    SideEffect,
    Appointment,
    AccessEvent,
]


def seed() -> str:
    out = StringIO()
    call_command("seed-demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Pin "now" (moving on a millisecond per reading, so histories stay ordered)."""

    def pin(at: datetime) -> None:
        ticks = itertools.count()
        monkeypatch.setattr(timezone, "now", lambda: at + timedelta(milliseconds=next(ticks)))

    return pin


@pytest.fixture
def live(db: Any, clock: Callable[[datetime], None]) -> str:
    clock(MONDAY_LATE_MORNING)
    return seed()


def nurse() -> User:
    return User.objects.get(username="nurse")


def test_the_board_shows_a_live_session_in_each_phase(live: str) -> None:
    rows = {r.chair.name: r for r in board(nurse())}
    assert all(r.appointment is not None for r in rows.values())
    phases = {
        name: (r.appointment.course.patient.mrn, r.phase)  # type: ignore[union-attr]
        for name, r in rows.items()
    }
    assert phases == {
        "Chair 1": ("KF-000014", "infusing"),
        "Chair 2": ("KF-000001", "paused"),
        "Chair 3": ("KF-000010", "observing"),
        "Quiet room": ("KF-000002", "checklist"),
    }
    infusing = rows["Chair 1"].view
    assert infusing is not None
    assert {a.code for _, a in infusing.open_alerts} == {"session.sbp.rise", "session.dbp.rise"}
    assert not AlertAck.objects.exists()
    assert infusing.order is not None and infusing.order.status == "confirmed"
    waiting = rows["Quiet room"].view
    assert waiting is not None and waiting.checklist is not None
    assert [i.code for i in waiting.checklist.blocking] == ["escort"]
    paused = rows["Chair 2"].view
    assert paused is not None and paused.state is adm.InfusionState.PAUSED
    assert SideEffect.objects.filter(session=paused.session, kind="nausea").exists()
    observing = rows["Chair 3"].view
    assert observing is not None
    assert observing.delivered_mg == pytest.approx(56)
    assert {r.instrument for r in observing.scales} >= {"cadss", "moaas"}
    for line in ("Chair 1: KF-000014 infusing", "Quiet room: KF-000002 waiting"):
        assert f"live session on {line}" in live


def test_the_live_sessions_went_through_the_services_on_the_real_clock(live: str) -> None:
    """Nothing back-dated: every time in a session is at or after its check-in."""
    for session in TreatmentSession.objects.all():
        assert session.patient.is_synthetic
        record = derive.record_of(session)
        times = [e.at for e in record.events] + [v.taken_at for v in session.vitals.all()]
        assert all(t >= session.checked_in_at for t in times), session
    created = AccessEvent.objects.filter(action="create", object_type="treatments.TreatmentSession")
    assert created.count() == TreatmentSession.objects.count() == 4
    assert set(AccessEvent.objects.values_list("channel", flat=True)) == {"cli"}


def test_a_second_run_the_same_day_changes_nothing(live: str) -> None:
    first = {m.__name__: m.objects.count() for m in SESSION_MODELS}
    assert "nothing to do" in seed()
    assert {m.__name__: m.objects.count() for m in SESSION_MODELS} == first


def test_the_future_series_are_spaced_from_todays_sessions(live: str) -> None:
    """Booked after today's live appointment: KF-000014's second IV is two days on."""
    appts = Appointment.objects.filter(course__patient__mrn="KF-000014").order_by("starts_at")
    days = [timezone.localtime(a.starts_at).date() for a in appts[:2]]
    assert [a.session_number for a in appts[:2]] == [1, 2]
    assert (days[1] - days[0]).days >= 2


def test_the_board_and_a_session_page_open_for_the_demo_nurse(live: str, settings: Any) -> None:
    user = nurse()
    assert user.check_password(DEMO_PASSWORD)  # the documented sign-in
    client = Client()
    client.force_login(user)
    page = client.get(reverse("treatments:board"))
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("Infusing", "Paused", "Observing", "Checklist"):
        assert label in html, label
    for session in TreatmentSession.objects.all():
        response = client.get(reverse("treatments:session", args=[session.pk]))
        assert response.status_code == 200, session


@pytest.mark.parametrize(
    ("at", "why"),
    [(SATURDAY, "closed on Saturdays"), (MONDAY_EARLY, "outside 08:30-15:15")],
)
def test_no_live_sessions_when_the_clinic_is_closed(
    db: Any, clock: Callable[[datetime], None], at: datetime, why: str
) -> None:
    clock(at)
    out = seed()
    assert why in out
    assert not TreatmentSession.objects.exists()
    assert all(r.view is None for r in board(nurse()))
