"""The chair board polls every 10 seconds: its query count stays bounded as chairs fill."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, complete_checklist, fresh

pytestmark = pytest.mark.django_db


def _fill_chair(n: int, *, clinic: Any, admin: Any, nurse: Any, prescriber: Any,
                protocol: Any, front_desk: Any, dose: bool = True) -> None:  # fmt: skip
    """Chair n with a patient 20 minutes into an infusion, vitals taken, one alert open
    (`dose=False`: checked in, checklist done, not dosed yet: the board computes its
    pre-session checklist)."""
    from ketaflow.courses.models import Appointment
    from ketaflow.courses.services import add_chair, start_course
    from ketaflow.patients.models import Patient

    chair = add_chair(admin, name=f"Chair {n}")
    patient = Patient.objects.create(
        clinic=clinic, mrn=f"KF-1000{n}", given_name=f"Pat{n}", family_name="Board",
        date_of_birth=date(1980, 1, 1), sex_at_birth="male", can_become_pregnant=False,
        created_by=front_desk,
    )  # fmt: skip
    course = start_course(prescriber, patient, protocol, started_on=timezone.localdate())
    start = timezone.now() - timedelta(hours=3)
    appt = Appointment.objects.create(
        course=course, chair=chair, starts_at=start, ends_at=start + timedelta(hours=4),
        session_number=1, phase="induction", created_by=prescriber,
    )  # fmt: skip
    session = complete_checklist(nurse, services.check_in(nurse, appt))
    if not dose:
        return
    services.enter_order(
        prescriber, session, session.version, mg_per_kg=0.5, concentration_mg_per_ml=1.0,
        confirm=True,
    )  # fmt: skip
    services.record_administration(
        nurse, session, fresh(session).version, kind="start", rate_ml_per_h=52.5, at=ago(20)
    )
    services.record_vitals(
        nurse, session, fresh(session).version, sbp=185, dbp=112, hr=80, spo2=97, rr=14,
        taken_at=ago(5),
    )  # fmt: skip


def _board_queries(client: Any, *, poll: bool = True) -> tuple[int, str]:
    """Queries of the board's 10-second poll (htmx: the rows only), or of the full page,
    which also draws the navigation and its counts."""
    headers = {"HTTP_HX_REQUEST": "true"} if poll else {}
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("treatments:board"), **headers).content.decode()
    return len(ctx.captured_queries), html


#: The board's poll at any number of chairs (#14: "query counts that do not grow with the
#: data"): the sessions' rows load once per table (`derive.load_rows`) and the risk flags of
#: every row in two queries (`risk.alerts_awaiting_assessment_of`). On SQLite the one audit
#: row of the read costs four (savepoint, the chain's last hash, insert, release; on PostgreSQL
#: a trigger links it).
POLL_CEILING = 18
#: The full page adds the navigation's counts: a fixed cost, whatever the chairs.
PAGE_CEILING = POLL_CEILING + 12


def test_the_board_query_count_is_the_same_at_5_and_at_50_chairs(
    client: Any,
    login: Any,
    clinic: Any,
    clinic_admin: Any,
    nurse: Any,
    prescriber: Any,
    protocols: Any,
    front_desk: Any,
    gates_open: None,
    django_assert_max_num_queries: Any,
) -> None:
    world = {
        "clinic": clinic,
        "admin": clinic_admin,
        "nurse": nurse,
        "prescriber": prescriber,
        "protocol": protocols["iv-racemic"],
        "front_desk": front_desk,
    }
    login(client, nurse)
    client.get(reverse("web:home"))  # the first page after sign-in starts the idle clock
    for n in range(1, 6):
        _fill_chair(n, **world)
    five, html = _board_queries(client)
    assert html.count("BP 185/112") == 5
    for n in range(6, 51):
        _fill_chair(n, **world)
    with django_assert_max_num_queries(POLL_CEILING):
        fifty, html = _board_queries(client)
    assert html.count("BP 185/112") == 50  # every chair's alert is still found
    assert fifty == five, (five, fifty)
    with django_assert_max_num_queries(PAGE_CEILING):
        _, html = _board_queries(client, poll=False)
    assert html.count("BP 185/112") == 50


#: The poll with every chair checked in and before dosing: each chair's pre-session checklist
#: is computed on the read (an answer recorded elsewhere counts at once), its inputs read for
#: every chair at once (`derive.checklists_of`: answers, substance decisions, pregnancy tests,
#: weights, pre-session questionnaires, risk gates), so it too is the same at 5 and at 50
#: chairs. (Screening answers the eligibility and consent gates per patient; `gates_open`
#: stands in for them here.)
CHECKED_IN_POLL_CEILING = 26


def test_the_board_query_count_with_checked_in_chairs_is_the_same_at_5_and_at_50(
    client: Any,
    login: Any,
    clinic: Any,
    clinic_admin: Any,
    nurse: Any,
    prescriber: Any,
    protocols: Any,
    front_desk: Any,
    gates_open: None,
    django_assert_max_num_queries: Any,
) -> None:
    world = {
        "clinic": clinic,
        "admin": clinic_admin,
        "nurse": nurse,
        "prescriber": prescriber,
        "protocol": protocols["iv-racemic"],
        "front_desk": front_desk,
        "dose": False,
    }
    login(client, nurse)
    client.get(reverse("web:home"))  # the first page after sign-in starts the idle clock
    for n in range(1, 6):
        _fill_chair(n, **world)
    five, html = _board_queries(client)
    assert html.count("Ready to dose") == 5
    for n in range(6, 51):
        _fill_chair(n, **world)
    with django_assert_max_num_queries(CHECKED_IN_POLL_CEILING):
        fifty, html = _board_queries(client)
    assert html.count("Ready to dose") == 50  # every chair's checklist still passes
    assert fifty == five, (five, fifty)


def test_every_row_of_the_board_flags_its_own_patients_waiting_risk_alert(
    client: Any,
    login: Any,
    clinic: Any,
    clinic_admin: Any,
    nurse: Any,
    prescriber: Any,
    protocols: Any,
    front_desk: Any,
    gates_open: None,
) -> None:
    """The flags read for all rows at once still land on the right patient's row."""
    from ketaflow.patients.models import Patient
    from ketaflow.questionnaires.models import RiskAlert

    world = {
        "clinic": clinic,
        "admin": clinic_admin,
        "nurse": nurse,
        "prescriber": prescriber,
        "protocol": protocols["iv-racemic"],
        "front_desk": front_desk,
    }
    login(client, nurse)
    for n in (1, 2, 3):
        _fill_chair(n, **world)
    flagged = Patient.objects.get(mrn="KF-10002")
    assert not RiskAlert.objects.filter(patient=flagged).exists()
    from ketaflow.treatments.tests.test_suicide_risk_gates_the_start import raise_alert

    raise_alert(nurse, flagged, minutes_ago=5)  # after the session's first dose: it waits
    _, html = _board_queries(client)
    assert html.count("data-risk-flag=") == 1
    assert f'data-risk-flag="{flagged.pk}"' in html


def test_the_critical_alerts_of_every_chair_cost_the_same_queries_as_one_chairs(
    clinic: Any,
    clinic_admin: Any,
    nurse: Any,
    prescriber: Any,
    protocols: Any,
    front_desk: Any,
    gates_open: None,
) -> None:
    """The worklists and the navigation count ask for them on every page a charting role
    opens: the sessions' rows load once per table (`derive.load_rows`), as for the board."""
    from ketaflow.treatments.selectors import critical_alert_count, open_critical_alerts

    world = {
        "clinic": clinic,
        "admin": clinic_admin,
        "nurse": nurse,
        "prescriber": prescriber,
        "protocol": protocols["iv-racemic"],
        "front_desk": front_desk,
    }
    _fill_chair(1, **world)
    with CaptureQueriesContext(connection) as one:
        assert critical_alert_count(prescriber) == 1
    for n in (2, 3):
        _fill_chair(n, **world)
    with CaptureQueriesContext(connection) as three:
        assert critical_alert_count(prescriber) == 3
    assert len(three) == len(one)
    found = open_critical_alerts(prescriber)
    assert sorted(a.session.chair.name for a in found if a.alert.code == "session.sbp.high") == [
        "Chair 1",
        "Chair 2",
        "Chair 3",
    ]
