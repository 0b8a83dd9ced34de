"""Work comes to people: each role's home lists its work, one click from the action, and the
navigation counts it (issue #13). The items are real records made through the services."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.courses.models import Appointment
from ketaflow.ops import freshness
from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, fresh
from ketaflow.web.worklists import nav_counts, sections

pytestmark = pytest.mark.django_db


def _count_of(client: Any, label: str) -> int:
    """The count the navigation shows on the item `label` (0 when it shows none)."""
    for group in client.get("/").context["nav_groups"]:
        for item in group["items"]:
            if item["label"] == label:
                return int(item["count"])
    raise AssertionError(f"{label} is not in the navigation")


def _section(page_sections: list[Any], key: str) -> Any:
    return next(s for s in page_sections if s.key == key)


@pytest.fixture
def critical_bp(ordered: Any, nurse: Any) -> Any:
    """Infusing since 10 minutes, BP 185/112 five minutes ago: a critical in-session alert."""
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(10)
    )
    services.record_vitals(
        nurse,
        ordered,
        fresh(ordered).version,
        sbp=185,
        dbp=112,
        hr=96,
        spo2=97,
        rr=16,
        taken_at=ago(5),
    )
    return fresh(ordered)


def test_a_critical_alert_is_on_the_prescribers_home_in_plain_words_and_counted(
    client: Any, login: Any, prescriber: Any, critical_bp: Any
) -> None:
    login(client, prescriber)
    response = client.get("/")
    page = response.content.decode()
    found = _section(response.context["sections"], "critical-alerts")
    (first,) = found.items  # one reading, one item (its systolic and diastolic alerts)
    assert found.urgent
    assert "BP 185/112" in first.text and "Jane Doe" in first.text
    assert first.url == f"/treatments/{critical_bp.pk}/#vitals"
    assert "Systolic 185" in first.note and "Diastolic 112" in first.note
    assert "BP 185/112" in page and f'href="/treatments/{critical_bp.pk}/#vitals"' in page
    assert "session.sbp" not in page and "sbp.high" not in page
    # The navigation says it at once, in words a screen reader reads with the link.
    assert _count_of(client, "Chair board") == 1
    assert re.search(r"critical alerts? open", page)
    # The list was audited with the patient it named.
    event = AccessEvent.objects.filter(detail__part="critical_vital_alerts").latest("pk")
    assert event.detail["patient_ids"] == [critical_bp.patient_id]


def test_an_acknowledged_critical_alert_leaves_the_list_and_the_count(
    client: Any, login: Any, prescriber: Any, nurse: Any, critical_bp: Any
) -> None:
    from ketaflow.treatments import derive

    for reading, alert in derive.open_alerts_to_sign(critical_bp):
        services.acknowledge_alert(
            nurse, critical_bp, fresh(critical_bp).version, reading.pk, alert.code, "Rechecked."
        )
    assert nav_counts(prescriber)["critical"] == 0
    login(client, prescriber)
    assert not _section(client.get("/").context["sections"], "critical-alerts").items


def test_another_clinics_work_never_shows(
    client: Any, login: Any, outsider: Any, critical_bp: Any
) -> None:
    login(client, outsider)
    response = client.get("/")
    page = response.content.decode()
    assert "Doe" not in page and "185/112" not in page
    assert all(not s.items for s in response.context["sections"])
    assert nav_counts(outsider) == {"critical": 0, "held": 0, "risk": 0, "todo": 0}


def test_the_nurses_home_shows_the_chairs_with_checklist_and_vitals_due(
    client: Any, login: Any, nurse: Any, critical_bp: Any
) -> None:
    login(client, nurse)
    found = _section(client.get("/").context["sections"], "chairs-today")
    (item,) = found.items
    assert item.text == "Chair 1 · Jane Doe: Infusing"
    assert item.url == f"/treatments/{critical_bp.pk}/"
    assert "Vitals due" in item.note or "Vitals overdue" in item.note
    keys = [s.key for s in sections(nurse)]
    assert keys[:2] == ["critical-alerts", "chairs-today"]
    assert {"risk-alerts", "forms-due", "held-messages"} <= set(keys)


def test_a_checked_in_patient_shows_what_the_checklist_still_needs(
    client: Any, login: Any, nurse: Any, checked_in: Any
) -> None:
    login(client, nurse)
    (item,) = _section(client.get("/").context["sections"], "chairs-today").items
    assert item.text == "Chair 1 · Jane Doe: Checklist"
    assert item.note.startswith("Checklist: ") and item.note.endswith(" to do")


def test_the_prescriber_sees_orders_to_confirm_and_sessions_to_sign_with_matching_counts(
    client: Any, login: Any, nurse: Any, prescriber: Any, ready: Any
) -> None:
    services.enter_order(
        nurse, ready, fresh(ready).version, mg_per_kg=0.5, concentration_mg_per_ml=1.0
    )
    login(client, prescriber)
    response = client.get("/")
    orders = _section(response.context["sections"], "orders-to-confirm")
    (item,) = orders.items
    assert item.text == "Chair 1 · Jane Doe: 35 mg proposed"
    assert item.url == f"/treatments/{ready.pk}/#order"
    to_sign = _section(response.context["sections"], "sessions-to-sign")
    reviews = _section(response.context["sections"], "reviews-to-sign")
    assert _count_of(client, "Home") == len(orders.items) + len(to_sign.items) + len(reviews.items)
    assert "Orders to confirm" in response.content.decode()


def test_an_unsigned_eligibility_review_waits_on_the_prescribers_home(
    client: Any, login: Any, nurse: Any, prescriber: Any, patient: Any
) -> None:
    from ketaflow.screening.services import open_review

    review = open_review(nurse, patient)
    login(client, prescriber)
    (item,) = _section(client.get("/").context["sections"], "reviews-to-sign").items
    assert item.url == f"/screening/patients/{patient.pk}/reviews/{review.pk}/"
    assert item.text.startswith("Jane Doe: ")
    assert nav_counts(prescriber)["todo"] == 1


def test_an_open_risk_alert_is_listed_and_counted_for_clinical_roles(
    client: Any, login: Any, nurse: Any, prescriber: Any, patient: Any
) -> None:
    from ketaflow.questionnaires.services import record_response

    record_response(
        nurse,
        patient,
        "phq9",
        answers=[1] * 9,
        context="follow_up",
        administered_at=ago(5),
        rater="self",
    )
    for who in (nurse, prescriber):
        client.logout()
        login(client, who)
        response = client.get("/")
        (item,) = _section(response.context["sections"], "risk-alerts").items
        assert item.url.startswith("/p/staff/alerts/") and item.urgent
        assert _count_of(client, "Risk alerts") == 1
        assert "Risk alerts" in response.content.decode()
        assert 'aria-label="Risk alerts, 1 open"' in response.content.decode()


def _past_booking(course: Any, chair: Any, prescriber: Any, days: int) -> Appointment:
    start = timezone.now() - timedelta(days=days)
    return Appointment.objects.create(
        course=course,
        chair=chair,
        starts_at=start,
        ends_at=start + timedelta(minutes=130),
        session_number=days + 1,
        phase="induction",
        created_by=prescriber,
    )


def test_the_front_desk_sees_todays_arrivals_and_past_bookings_to_close(
    client: Any, login: Any, front_desk: Any, prescriber: Any, appointment: Any
) -> None:
    old = _past_booking(appointment.course, appointment.chair, prescriber, days=3)
    login(client, front_desk)
    response = client.get("/")
    arrivals = _section(response.context["sections"], "arrivals-today")
    assert [i.url for i in arrivals.items] == [f"/courses/{appointment.course_id}/"]
    assert "Jane Doe (Chair 1)" in arrivals.items[0].text
    closing = _section(response.context["sections"], "bookings-to-close")
    assert [i.url for i in closing.items] == [f"/courses/{old.course_id}/"]
    assert _count_of(client, "Home") == 1
    assert [s.key for s in response.context["sections"]] == [
        "arrivals-today",
        "bookings-to-confirm",
        "bookings-to-close",
    ]


def test_the_front_desk_home_costs_the_same_queries_for_one_or_many_bookings(
    client: Any, login: Any, front_desk: Any, prescriber: Any, appointment: Any
) -> None:
    login(client, front_desk)
    _past_booking(appointment.course, appointment.chair, prescriber, days=2)
    client.get("/")
    freshness.forget()  # both reads draw everything (no memoised navigation counts)
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for days in range(3, 9):
        _past_booking(appointment.course, appointment.chair, prescriber, days=days)
    freshness.forget()
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    assert len(many) == len(one)
    assert len(_section(client.get("/").context["sections"], "bookings-to-close").items) == 7


def test_the_navigation_counts_are_a_few_queries(
    prescriber: Any, django_assert_max_num_queries: Any, patient: Any
) -> None:
    from ketaflow.screening.services import open_review

    open_review(prescriber, patient)
    with django_assert_max_num_queries(7):  # 6 counts and the memo's change stamp
        counts = nav_counts(prescriber)
    assert counts == {"critical": 0, "held": 0, "risk": 0, "todo": 1}


def test_the_clinic_admin_sees_exports_emergency_access_held_messages_and_users(
    client: Any, login: Any, clinic_admin: Any, clinic: Any
) -> None:
    from ketaflow.accounts.models import User
    from ketaflow.fhir.models import ExportJob

    ExportJob.objects.create(clinic=clinic, requested_by=clinic_admin, format="fhir_ndjson")
    User.objects.create(username="no.role", clinic=clinic, first_name="Nora", last_name="Role")
    login(client, clinic_admin)
    response = client.get("/")
    keys = [s.key for s in response.context["sections"]]
    assert keys == ["emergency-access", "failed-emails", "held-messages", "users"]
    page = response.content.decode()
    assert 'id="exports"' in page and "FHIR" in page.split('id="exports"')[1].split("</section>")[0]
    assert page.index('id="exports"') < page.index('id="users"')
    (user_item,) = _section(response.context["sections"], "users").items
    assert user_item.text == "Nora Role: no role yet" and user_item.url == "/users/"
    assert nav_counts(clinic_admin) == {}


def test_a_researcher_has_no_worklist(client: Any, login: Any, researcher: Any) -> None:
    login(client, researcher)
    assert client.get("/").context["sections"] == []


# ---------------------------------------------------------------------------- navigation


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "clinic_admin"])
def test_the_navigation_is_a_few_groups(
    client: Any, login: Any, personas: dict[str, Any], persona: str
) -> None:
    login(client, personas[persona])
    groups = [g["label"] for g in client.get("/").context["nav_groups"]]
    assert groups[0] == "Today" and len(groups) <= 4
    assert set(groups) <= {"Today", "Patients", "Clinic", "Admin"}


def test_the_pk_explorer_link_is_drawn_exactly_for_those_the_page_lets_in(
    client: Any, login: Any, personas: dict[str, Any], clinic: Any
) -> None:
    from ketaflow.accounts.models import User

    no_role = User.objects.create(username="no.role", clinic=clinic)
    no_role.set_password("x")
    no_role.save()
    from ketaflow.conftest import sign_in

    for who in [*personas.values(), no_role]:
        client.logout()
        sign_in(client, who)
        labels = {i["label"] for i in client.get("/").context["nav_items"]}
        status = client.get("/pk/").status_code
        assert status in (200, 403), who
        assert ("PK explorer" in labels) == (status == 200), who
    client.force_login(no_role)
    assert client.get("/pk/").status_code == 403
    assert 'href="/pk/"' not in client.get("/").content.decode()


def test_every_page_links_the_favicon(client: Any, login: Any, nurse: Any) -> None:
    from django.contrib.staticfiles import finders

    login(client, nurse)
    assert 'rel="icon" href="/static/web/favicon.svg"' in client.get("/").content.decode()
    path = finders.find("web/favicon.svg")
    assert path is not None
    assert Path(path).read_text(encoding="utf-8").lstrip().startswith("<svg")


def test_the_prescribers_home_costs_the_same_queries_for_one_or_many_reviews(
    client: Any, login: Any, nurse: Any, prescriber: Any, patient: Any, front_desk: Any
) -> None:
    from datetime import date

    from ketaflow.patients.models import Patient
    from ketaflow.screening.services import open_review

    open_review(nurse, patient)
    login(client, prescriber)
    client.get("/")
    freshness.forget()  # both reads draw everything (no memoised header or counts)
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for n in range(2, 5):
        other = Patient.objects.create(
            clinic=patient.clinic,
            mrn=f"KF-00000{n}",
            given_name="Sam",
            family_name=f"Roe{n}",
            date_of_birth=date(1980, 1, n),
            sex_at_birth="male",
            created_by=front_desk,
        )
        open_review(nurse, other)
    freshness.forget()
    with CaptureQueriesContext(connection) as many:
        response = client.get("/")
    assert len(_section(response.context["sections"], "reviews-to-sign").items) == 4
    assert len(many) == len(one)
