"""One patient banner on every page about one patient (issue #13, "the patient is always in view").

Every kind of patient page (demographics, chart, screening, consent, the patient's courses, a
course, the session, outcomes, safety, questionnaire links) draws the same banner: name, date
of birth, MRN and, for roles that read the chart, the allergy line ("Allergies not recorded"
until someone records allergies or "No known allergies") and the standing risk flags (open
suicide-risk alert, positive LUTS screen, interaction cautions), in words, never as codes.
The banner's read is a fixed handful of queries however much the chart holds.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaflow.clinical.long_term_safety import LUTS_KEYS
from ketaflow.lib.clock import clinic_today
from ketaflow.patients.services import add_entry
from ketaflow.portal.banner import patient_banner
from ketaflow.safety.services import record_luts_screen
from ketaflow.treatments.tests.test_suicide_risk_gates_the_start import raise_alert

pytestmark = pytest.mark.django_db

BANNER = re.compile(r'<section class="patient-banner".*?</section>', re.S)
FLAGS = ("Suicide risk alert", "Positive urinary symptom (LUTS) screen", "Interaction caution")


def pages(session: Any) -> dict[str, str]:
    p = session.patient_id
    return {
        "demographics": reverse("patients:detail", args=[p]),
        "chart": reverse("patients:chart", args=[p]),
        "screening": reverse("screening:patient", args=[p]),
        "consent": reverse("screening:consent", args=[p]),
        "courses": reverse("courses:patient_courses", args=[p]),
        "course": reverse("courses:course", args=[session.course_id]),
        "session": reverse("treatments:session", args=[session.pk]),
        "outcomes": reverse("outcomes:patient", args=[p]),
        "safety": reverse("safety:patient", args=[p]),
        "questionnaire links": reverse("portal:links", args=[p]),
    }


def banners(client: Client, session: Any) -> dict[str, str]:
    """Each page's banner (exactly one per page), as HTML."""
    found = {}
    for kind, url in pages(session).items():
        response = client.get(url)
        assert response.status_code == 200, (kind, url, response.status_code)
        html = response.content.decode()
        strips = BANNER.findall(html)
        assert len(strips) == 1, (kind, len(strips))
        found[kind] = strips[0]
    return found


def add_flags(nurse: Any, patient: Any) -> None:
    raise_alert(nurse, patient)
    record_luts_screen(
        nurse,
        patient,
        screened_on=clinic_today(patient.clinic),
        answers={k: k == LUTS_KEYS[0] for k in LUTS_KEYS},
    )
    add_entry(
        nurse,
        patient,
        "medications",
        {
            "name": "Diazepam",
            "dose": "5 mg at night",
            "classes": ["benzodiazepine"],
            "diazepam_equivalent_mg_per_day": Decimal("5"),
        },
    )


def test_every_patient_page_shows_the_banner_with_the_flags_only_when_present(
    ordered: Any, nurse: Any, login: Any
) -> None:
    patient = ordered.patient
    client = login(Client(), nurse)
    for kind, html in banners(client, ordered).items():
        assert f"{patient.family_name}, {patient.given_name}" in html, kind
        assert patient.date_of_birth.strftime("%-d %b %Y") in html, kind
        assert patient.mrn in html, kind
        assert "Allergies not recorded" in html, kind
        for flag in FLAGS:
            assert flag not in html, (kind, flag)

    add_flags(nurse, patient)
    add_entry(nurse, patient, "allergies", {"substance": "Penicillin", "reaction": "rash"})
    for kind, html in banners(client, ordered).items():
        assert "Penicillin (rash)" in html, kind
        assert "Allergies not recorded" not in html, kind
        for flag in FLAGS:
            assert flag in html, (kind, flag)
        assert "Diazepam" in html, kind
        # Words people use: no internal code reaches the screen.
        assert "caution." not in html and "cns_depressant" not in html, kind
        words = re.sub(r"<[^>]+>", " ", html)
        assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", words), (kind, words)


def test_no_known_allergies_is_a_recorded_fact_and_says_so(
    ordered: Any, nurse: Any, login: Any
) -> None:
    add_entry(nurse, ordered.patient, "allergies", {"no_known_allergies": True})
    client = login(Client(), nurse)
    html = banners(client, ordered)["session"]
    assert "No known allergies" in html
    assert "Allergies not recorded" not in html


def test_roles_outside_the_chart_see_who_the_patient_is_but_no_allergies_or_flags(
    ordered: Any, nurse: Any, front_desk: Any, login: Any
) -> None:
    add_flags(nurse, ordered.patient)
    client = login(Client(), front_desk)
    for name in ("patients:detail", "courses:patient_courses"):
        html = client.get(reverse(name, args=[ordered.patient_id])).content.decode()
        (strip,) = BANNER.findall(html)
        assert ordered.patient.mrn in strip
        assert "Allergies" not in strip
        for flag in FLAGS:
            assert flag not in strip


def test_the_banner_reads_a_fixed_number_of_queries(
    ordered: Any, nurse: Any, django_assert_max_num_queries: Any
) -> None:
    patient = ordered.patient
    add_flags(nurse, patient)
    for name in ("Sertraline", "Phentermine", "Levothyroxine"):
        add_entry(nurse, patient, "medications", {"name": name, "classes": ["stimulant"]})
    add_entry(nurse, patient, "allergies", {"substance": "Latex"})
    patient.clinic  # noqa: B018  (the page has read the patient's clinic already)
    with django_assert_max_num_queries(8):
        banner = patient_banner(nurse, patient, timezone.now())
    assert banner.risk_alerts
    assert [f.title for f in banner.flags].count("Interaction caution") == 2
