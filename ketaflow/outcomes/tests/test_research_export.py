"""The de-identified research CSV: no identifier survives, dates shift, 90+, audited export."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from ketaflow.audit.models import AccessEvent
from ketaflow.clinical.deidentify import RESEARCH_COLUMNS
from ketaflow.outcomes.services import rebuild_course_outcomes
from ketaflow.outcomes.tests.conftest import course_with, make_patient, past_sessions

pytestmark = pytest.mark.django_db

PEOPLE = [
    {
        "mrn": "MRN-ZX81-7731",
        "given_name": "Philippa",
        "family_name": "Quartermaine",
        "preferred_name": "Pippa",
        "date_of_birth": date(1931, 2, 17),  # 95: must read "90+"
        "email": "pippa.quartermaine@example.org",
        "phone": "+44 7700 900461",
        "address": "17 Wisteria Lane, Little Snoring, NR21 0AA",
        "emergency_contact_name": "Horatio Quartermaine",
        "emergency_contact_phone": "+44 7700 900462",
    },
    {
        "mrn": "MRN-QB42-0019",
        "given_name": "Bartholomew",
        "family_name": "Featherstonehaugh",
        "preferred_name": "",
        "date_of_birth": date(1979, 11, 3),
        "email": "b.featherstonehaugh@example.net",
        "phone": "(555) 010-4477",
        "address": "4400 Juniper Road, Springfield, IL 62704",
        "emergency_contact_name": "Ottoline Featherstonehaugh",
        "emergency_contact_phone": "(555) 010-4478",
    },
]


@pytest.fixture
def seeded(settings, clinic, front_desk, prescriber, nurse, protocols, chair):
    settings.KETAFLOW_DEIDENTIFY_SECRET = "test-deidentify-secret"
    patients = []
    for i, person in enumerate(PEOPLE):
        fields = dict(person)
        mrn = fields.pop("mrn")
        p = make_patient(clinic, front_desk, mrn, **fields)
        course_with(
            prescriber,
            nurse,
            p,
            protocols["iv-racemic"],
            chair,
            (18, 14, 9),
            follow_up=(7,),
            weeks_ago=8 + i,
        )
        patients.append(p)
    rebuild_course_outcomes()
    return patients


def _identifiers(p) -> list[str]:
    dob = p.date_of_birth
    values = [
        p.mrn,
        p.given_name,
        p.family_name,
        p.email,
        p.phone,
        p.address,
        p.emergency_contact_name,
        p.emergency_contact_phone,
        dob.isoformat(),
        f"{dob:%d/%m/%Y}",
        f"{dob:%m/%d/%Y}",
        f"{dob:%Y%m%d}",
    ]
    values += [p.preferred_name] if p.preferred_name else []
    values += p.address.replace(",", " ").split()  # every address part, ZIP included
    return [v for v in values if v]


def test_no_identifier_survives_in_the_csv(client, login, researcher, seeded):
    login(client, researcher)
    response = client.get("/outcomes/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    body = text.split("\n", 1)[1].lower()  # the data rows
    cells = {c.strip().lower() for row in csv.reader(io.StringIO(text)) for c in row}
    for p in seeded:
        for value in _identifiers(p):
            # long values must not appear anywhere; short parts ("IL", "17") not as a cell
            if len(value) >= 4:
                assert value.lower() not in body, value
            assert value.lower() not in cells, value
    header = text.split("\n", 1)[0].split(",")
    assert "patient_id" not in header and "course_id" not in header  # record ids never leave
    # real course and session dates never appear (every date is shifted or a day count)
    for i in range(len(PEOPLE)):
        for day in past_sessions(3, 8 + i):
            assert day.isoformat() not in text, day


def test_columns_ages_and_shifted_dates(client, login, clinic_admin, seeded):
    login(client, clinic_admin)
    rows = list(csv.DictReader(io.StringIO(client.get("/outcomes/export.csv").content.decode())))
    assert list(rows[0].keys()) == list(RESEARCH_COLUMNS)
    assert sorted(r["age_group"] for r in rows) == ["46", "90+"]
    assert all(r["research_id"].startswith("R") for r in rows)
    for r in rows:
        shifted = date.fromisoformat(r["course_start_shifted"])
        assert shifted.isoformat() not in {d.isoformat() for d in past_sessions(1, 8)}
        assert r["first_response_day"] == "4" and r["state"] == "responder"


def test_the_same_patient_shifts_the_same_way_every_export(client, login, researcher, seeded):
    login(client, researcher)
    one = client.get("/outcomes/export.csv").content
    two = client.get("/outcomes/export.csv").content
    assert one == two


def test_the_export_is_audited(client, login, researcher, seeded):
    login(client, researcher)
    client.get("/outcomes/export.csv")
    event = AccessEvent.objects.filter(action="export", detail__part="outcomes_research_csv").get()
    assert event.actor == researcher and event.detail["courses"] == 2
