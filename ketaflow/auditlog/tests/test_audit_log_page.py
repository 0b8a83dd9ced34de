"""The clinic audit log page: clinic admins only, their clinic only, filterable and paged."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from ketaflow.audit.models import AccessEvent
from ketaflow.audit.services import record_event
from ketaflow.auditlog import views as audit_views

URL = reverse("audit:log")


@pytest.fixture
def admin_client(client, login, clinic_admin):
    return login(client, clinic_admin)


def _rows(response):
    return list(response.context["page"].object_list)


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "researcher"])
def test_only_clinic_admins_may_open_the_audit_log(client, login, personas, persona):
    login(client, personas[persona])
    assert client.get(URL).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_clinic_admin_sees_who_did_what_to_which_record(admin_client, nurse, patient):
    record_event(actor=nurse, action="view", obj=patient, detail={"part": "chart"})
    response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "nina.nurse (nurse)" in html
    assert "Jane Doe (KF-000001)" in html
    assert reverse("audit:patient", args=[patient.pk]) in html


def test_another_clinics_events_never_appear(admin_client, outsider, outsider_patient):
    record_event(actor=outsider, action="view", obj=outsider_patient)
    response = admin_client.get(URL)
    assert all(e.clinic_id != outsider.clinic_id for e in _rows(response))
    assert "oscar.outsider" not in response.content.decode()


def test_reading_the_log_is_itself_recorded(admin_client, clinic_admin):
    admin_client.get(URL, {"action": "view"})
    event = AccessEvent.objects.filter(actor=clinic_admin, action="list").first()
    assert event is not None
    assert event.detail["part"] == "audit_log"
    assert event.detail["filters"] == {"action": "view"}
    assert event.channel == "web"


def test_filtering_by_mrn_shows_only_that_patients_events(admin_client, nurse, patient, front_desk):
    from ketaflow.patients.models import Patient

    other = Patient.objects.create(
        clinic=patient.clinic,
        mrn="KF-000002",
        given_name="John",
        family_name="Roe",
        date_of_birth=patient.date_of_birth,
        sex_at_birth="male",
    )
    record_event(actor=nurse, action="view", obj=patient)
    record_event(actor=nurse, action="view", obj=other)
    rows = _rows(admin_client.get(URL, {"patient": "KF-000002"}))
    assert rows and {e.patient_id for e in rows} == {other.pk}


def test_a_name_matching_several_patients_asks_which_one(admin_client, patient):
    from ketaflow.patients.models import Patient

    Patient.objects.create(
        clinic=patient.clinic,
        mrn="KF-000002",
        given_name="Janet",
        family_name="Doe",
        date_of_birth=patient.date_of_birth,
        sex_at_birth="female",
    )
    response = admin_client.get(URL, {"patient": "Doe"})
    assert response.status_code == 200
    assert len(response.context["candidates"]) == 2
    assert response.context["page"] is None
    assert f"?patient_id={patient.pk}" in response.content.decode()


def test_a_name_matching_nobody_says_so(admin_client, patient):
    response = admin_client.get(URL, {"patient": "Nobody"})
    assert "No patient in this clinic matches" in response.content.decode()


def test_another_clinics_patient_cannot_be_chosen_by_id(admin_client, outsider_patient):
    assert admin_client.get(URL, {"patient_id": outsider_patient.pk}).status_code == 404


def test_filtering_by_staff_member_and_action(admin_client, nurse, front_desk, patient):
    record_event(actor=nurse, action="view", obj=patient)
    record_event(actor=nurse, action="update", obj=patient)
    record_event(actor=front_desk, action="view", obj=patient)
    rows = _rows(admin_client.get(URL, {"staff": nurse.pk, "action": "view"}))
    assert len(rows) == 1
    assert rows[0].actor_id == nurse.pk and rows[0].action == "view"


def test_a_staff_member_of_another_clinic_is_not_a_valid_choice(admin_client, outsider):
    response = admin_client.get(URL, {"staff": outsider.pk})
    assert response.status_code == 400
    assert "staff" in response.context["form"].errors


def test_a_date_range_means_whole_days_in_the_clinics_zone(admin_client, nurse, patient, clock):
    # Riverside is in Europe/London (BST in July): 23:30 UTC on 1 July is 00:30 on 2 July.
    stamps = [
        datetime(2026, 7, 1, 22, 30, tzinfo=UTC),  # 23:30 on 1 July, London
        datetime(2026, 7, 1, 23, 30, tzinfo=UTC),  # 00:30 on 2 July, London
        datetime(2026, 7, 2, 22, 59, tzinfo=UTC),  # 23:59 on 2 July, London
        datetime(2026, 7, 2, 23, 1, tzinfo=UTC),  # 00:01 on 3 July, London
    ]
    for stamp in stamps:
        clock(stamp)
        record_event(actor=nurse, action="view", obj=patient)
    clock(datetime(2026, 7, 20, 9, 0, tzinfo=UTC))
    rows = _rows(
        admin_client.get(URL, {"since": "2026-07-02", "until": "2026-07-02", "action": "view"})
    )
    assert sorted(e.at for e in rows) == stamps[1:3]


def test_times_are_shown_in_the_clinics_zone(admin_client, nurse, patient, clock):
    clock(datetime(2026, 1, 15, 9, 5, tzinfo=UTC))
    record_event(actor=nurse, action="view", obj=patient)
    clock(datetime(2026, 7, 15, 9, 5, tzinfo=UTC))
    record_event(actor=nurse, action="update", obj=patient)
    clock(datetime(2026, 7, 20, 9, 0, tzinfo=UTC))
    html = admin_client.get(URL).content.decode()
    assert "2026-01-15 09:05:00 GMT" in html
    assert "2026-07-15 10:05:00 BST" in html


def test_an_end_date_before_the_start_date_is_refused(admin_client):
    response = admin_client.get(URL, {"since": "2026-07-02", "until": "2026-07-01"})
    assert response.status_code == 400
    assert "until" in response.context["form"].errors


def test_the_log_is_paginated_and_keeps_the_filters(admin_client, nurse, patient, monkeypatch):
    monkeypatch.setattr(audit_views, "PAGE_SIZE", 3)
    for _ in range(7):
        record_event(actor=nurse, action="view", obj=patient)
    first = admin_client.get(URL, {"action": "view"})
    assert len(_rows(first)) == 3
    assert first.context["page"].paginator.num_pages == 3
    assert "action=view&amp;page=2" in first.content.decode()
    last = admin_client.get(URL, {"action": "view", "page": 3})
    assert len(_rows(last)) == 1


def test_the_record_address_and_channel_are_shown(admin_client, nurse, patient, client):
    from ketaflow.audit import context

    token = context.activate(context.RequestContext("198.51.100.9", "pytest", "req-1", "/x", "hl7"))
    try:
        record_event(actor=nurse, action="view", obj=patient)
    finally:
        context.reset(token)
    html = admin_client.get(URL, {"action": "view"}).content.decode()
    assert "198.51.100.9" in html
    assert "<td>hl7</td>" in html
    assert "patients.Patient" in html
