"""`ketaflow seed-demo`, today's live treatment sessions on the chair board.

They depend on the time the seed runs, so the tests pin "now" (Django's clock, which every
service reads): a Monday 11:02 in London (inside the opening hours: live sessions in five
chairs, no extra opening), and outside them — a Saturday, 3 a.m., 07:00 before opening and
23:20 (the sessions run past midnight) — where the clinic admin first adds a labelled extra
opening around now, so the board shows the same five phases. On a closed day there are none,
and the seed says why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.audit.models import AccessEvent
from ketaflow.clinical import administration as adm
from ketaflow.courses.models import Appointment, ExtraOpening
from ketaflow.demo.clinic import DEMO_PASSWORD
from ketaflow.demo.oral import ORAL_MRN
from ketaflow.demo.process import CLOSED_DAY
from ketaflow.demo.sessions import DEMO_OPENING_REASON
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
TUESDAY_3AM = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
MONDAY_LATE_EVENING = datetime(2026, 11, 23, 23, 20, tzinfo=UTC)
CLOSED = datetime.combine(CLOSED_DAY[0], datetime.min.time(), tzinfo=UTC) + timedelta(hours=11)
OUTSIDE_HOURS = [SATURDAY, TUESDAY_3AM, MONDAY_EARLY, MONDAY_LATE_EVENING]
PHASES = {
    "Chair 1": ("KF-000014", "infusing"),
    "Chair 2": ("KF-000001", "paused"),
    "Chair 3": ("KF-000010", "observing"),
    "Chair 4": ("KF-000007", "ready"),
    "Quiet room": ("KF-000002", "checklist"),
}
SESSION_MODELS: list[Any] = [
    ExtraOpening,
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
    call_command("seed-demo", "--no-history", stdout=out)
    return out.getvalue()


@pytest.fixture
def live(db: Any, clock: Callable[[datetime], None]) -> str:
    clock(MONDAY_LATE_MORNING)
    return seed()


def nurse() -> User:
    return User.objects.get(username="nurse")


def phases_on_the_board() -> dict[str, tuple[str, str]]:
    return {
        r.chair.name: (r.appointment.course.patient.mrn, r.phase)
        for r in board(nurse())
        if r.appointment is not None
    }


def test_the_board_shows_a_live_session_in_each_phase(live: str) -> None:
    rows = {r.chair.name: r for r in board(nurse())}
    assert all(r.appointment is not None for r in rows.values())
    assert phases_on_the_board() == PHASES
    assert not ExtraOpening.objects.exists()  # inside the usual hours: none needed
    infusing = rows["Chair 1"].view
    assert infusing is not None
    assert {a.code for _, a in infusing.open_alerts} == {"session.sbp.rise", "session.dbp.rise"}
    assert not AlertAck.objects.exists()
    assert infusing.order is not None and infusing.order.status == "confirmed"
    waiting = rows["Quiet room"].view
    assert waiting is not None and waiting.checklist is not None
    # KF-000002 also has the demo's open risk alert: it blocks until a prescriber assesses.
    assert [i.code for i in waiting.checklist.blocking] == ["suicide_risk", "escort"]
    ready = rows["Chair 4"].view
    assert ready is not None and ready.checklist is not None and ready.checklist.can_start
    assert ready.order is None
    paused = rows["Chair 2"].view
    assert paused is not None and paused.state is adm.InfusionState.PAUSED
    assert SideEffect.objects.filter(session=paused.session, kind="nausea").exists()
    observing = rows["Chair 3"].view
    assert observing is not None
    assert observing.delivered_mg == pytest.approx(56)
    assert {r.instrument for r in observing.scales} >= {"cadss", "moaas"}
    for line in (
        "Chair 1: KF-000014 infusing",
        "Chair 4: KF-000007 ready",
        "Quiet room: KF-000002 waiting",
    ):
        assert f"live session on {line}" in live


def test_the_live_sessions_went_through_the_services_on_the_real_clock(live: str) -> None:
    """Every time in a session is at or after its check-in (the live ones on the real clock;
    the oral patient's three at the moments they happened, see `demo.oral`)."""
    for session in TreatmentSession.objects.all():
        assert session.patient.is_synthetic
        record = derive.record_of(session)
        times = [e.at for e in record.events] + [v.taken_at for v in session.vitals.all()]
        assert all(t >= session.checked_in_at for t in times), session
    created = AccessEvent.objects.filter(action="create", object_type="treatments.TreatmentSession")
    assert created.count() == TreatmentSession.objects.count() == 5 + 3  # the oral patient's
    assert TreatmentSession.objects.exclude(course__patient__mrn=ORAL_MRN).count() == 5
    # "hl7": the demo's held monitor message goes through the listener's own ingestion.
    assert set(AccessEvent.objects.values_list("channel", flat=True)) == {"cli", "hl7"}


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
    for label in ("Infusing", "Paused", "Observing", "Checklist", "Ready to dose"):
        assert label in html, label
    for session in TreatmentSession.objects.all():
        response = client.get(reverse("treatments:session", args=[session.pk]))
        assert response.status_code == 200, session


@pytest.mark.parametrize("at", OUTSIDE_HOURS, ids=["saturday", "3am", "7am", "23:20"])
def test_outside_the_hours_an_extra_opening_gives_the_same_live_board(
    db: Any, clock: Callable[[datetime], None], at: datetime
) -> None:
    clock(at)
    out = seed()
    assert phases_on_the_board() == PHASES
    opening = ExtraOpening.objects.get()
    assert opening.reason == DEMO_OPENING_REASON
    assert opening.created_by == User.objects.get(username="admin")
    assert opening.starts_at <= at - timedelta(minutes=30) and opening.ends_at > at
    assert DEMO_OPENING_REASON in out
    live = Appointment.objects.filter(treatment_session__isnull=False)
    for appointment in live.exclude(course__patient__mrn=ORAL_MRN):  # the oral's are past
        assert opening.starts_at <= appointment.starts_at
        assert appointment.ends_at <= opening.ends_at
    created = AccessEvent.objects.filter(action="create", object_type="courses.ExtraOpening")
    assert created.count() == 1 and created.get().channel == "cli"


@pytest.mark.parametrize("at", [MONDAY_LATE_MORNING, *OUTSIDE_HOURS])
def test_seeding_again_changes_nothing_at_any_time(
    db: Any, clock: Callable[[datetime], None], at: datetime
) -> None:
    clock(at)
    seed()
    first = {m.__name__: m.objects.count() for m in SESSION_MODELS}
    clock(at + timedelta(minutes=20))
    assert "nothing to do" in seed()
    assert {m.__name__: m.objects.count() for m in SESSION_MODELS} == first


def test_an_evening_list_stays_on_the_board_after_midnight(
    db: Any, clock: Callable[[datetime], None]
) -> None:
    """Seeded at 23:20: at 00:30 the sessions are still running, and still on the board."""
    clock(MONDAY_LATE_EVENING)
    seed()
    clock(MONDAY_LATE_EVENING + timedelta(minutes=70))
    assert set(phases_on_the_board()) == set(PHASES)


def test_no_live_sessions_on_a_closed_day(db: Any, clock: Callable[[datetime], None]) -> None:
    clock(CLOSED)
    out = seed()
    assert f"closed today ({CLOSED_DAY[1]})" in out
    assert not TreatmentSession.objects.exclude(course__patient__mrn=ORAL_MRN).exists()
    assert not ExtraOpening.objects.exists()
    assert all(r.view is None for r in board(nurse()))
