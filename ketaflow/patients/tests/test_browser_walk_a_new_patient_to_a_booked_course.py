"""A new patient from the front desk to a booked first session, through the pages (issue #13).

The front desk registers the patient (no duplicate warning); the prescriber records what the
screening page's "What the protocol needs" card asks for, following its links: the
diagnosis and two adequate prior trials on the chart, the HAM-A, the resting BP and the ECG;
opens an eligibility review and signs it; the nurse records consent; the prescriber starts a
course (the signed review's protocol is already chosen); the front desk books the first
session from the free-slot finder. Inputs filled and page loads are counted and printed.

Clinic set-up (a published consent document, the built-in protocols, a chair) is done with
services: it is the admin's, not this walk's. Three clearance items (psychiatric assessment,
liver and renal function) go in with `record_observation`: they use the same form as the ECG
step, which this walk takes through the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from ketaflow.lib.tests.browser import ARTIFACTS, chromium
from ketaflow.treatments.tests.browser_world import totp_code
from ketaflow.treatments.tests.test_browser_session_end_to_end import new_page, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, live_server: Any) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        yield browser


@pytest.fixture
def clinic_ready(clinic_admin: Any, prescriber: Any) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaflow.courses.services import add_chair, adopt_builtin_protocols
    from ketaflow.screening.consent_text import DEFAULT_BODY, DEFAULT_TITLE
    from ketaflow.screening.services import publish_document

    publish_document(clinic_admin, title=DEFAULT_TITLE, body=DEFAULT_BODY, requires_reconsent=True)
    adopt_builtin_protocols(prescriber)
    add_chair(clinic_admin, name="Chair 1")
    return TOTPDevice.objects.create(user=prescriber, name="Authenticator app", confirmed=True)


class Counter:
    """Inputs filled (or chosen) and full page loads, for one walk."""

    def __init__(self) -> None:
        self.inputs = 0
        self.loads = 0

    def watch(self, page: Any) -> Any:
        page.on("load", lambda _: setattr(self, "loads", self.loads + 1))
        return page

    def fill(self, locator: Any, value: str) -> None:
        locator.fill(value)
        self.inputs += 1

    def select(self, locator: Any, value: str | dict[str, str]) -> None:
        if isinstance(value, dict):
            locator.select_option(**value)
        else:
            locator.select_option(value)
        self.inputs += 1

    def check(self, locator: Any) -> None:
        locator.check()
        self.inputs += 1


def test_a_new_patient_goes_from_registration_to_a_booked_first_session(
    browser: Any,
    live_server: Any,
    front_desk: Any,
    nurse: Any,
    prescriber: Any,
    clinic_ready: Any,
    settings: Any,
) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from ketaflow.courses.models import Appointment, Course
    from ketaflow.lib.clock import local
    from ketaflow.patients.models import Patient
    from ketaflow.screening.services import record_observation

    settings.IDLE_TIMEOUT_MINUTES = 240
    base = live_server.url
    count = Counter()

    # ---- the front desk registers the patient
    desk = new_page(browser)
    sign_in(desk, f"{base}/patients/register/", front_desk.username)
    count.watch(desk)
    expect(desk.get_by_role("heading", name="Register a patient")).to_be_visible()
    count.fill(desk.get_by_label("Given name"), "Robin")
    count.fill(desk.get_by_label("Family name"), "Walker")
    count.fill(desk.get_by_label("Date of birth"), "1988-04-12")
    count.select(desk.get_by_label("Sex at birth"), {"label": "Male"})
    count.fill(desk.get_by_label("Phone", exact=True), "07700 900456")
    desk.get_by_role("button", name="Register patient").click()
    expect(desk.locator("#duplicate-warning")).to_have_count(0)
    expect(desk.get_by_role("heading", name=re.compile("Walker, Robin"))).to_be_visible()
    patient = Patient.objects.get(family_name="Walker")

    # ---- the prescriber opens the screening page and follows "What the protocol needs"
    p = new_page(browser)
    sign_in(p, f"{base}/screening/patients/{patient.pk}/", prescriber.username)
    p.get_by_label("6-digit code from your authenticator app").fill(totp_code(clinic_ready))
    p.get_by_role("button", name="Verify").click()
    count.watch(p)
    needs = p.locator("#needs")
    expect(needs).to_be_visible()

    needs.get_by_role("link", name=re.compile("^Diagnoses")).first.click()
    section = p.locator("#section-diagnoses")
    section.get_by_text("+ Add").click()
    count.select(section.locator("select[name=code]"), "F41.1")
    section.get_by_role("button", name="Save").click()
    expect(p.locator("#section-diagnoses")).to_contain_text("F41.1")

    for name in ("Sertraline 150 mg", "Venlafaxine 225 mg"):
        section = p.locator("#section-prior-treatments")
        section.get_by_text("+ Add").click()
        count.select(section.locator("select[name=kind]"), "ssri")
        count.fill(section.locator("input[name=name]"), name)
        count.check(section.locator("input[name=adequate][value=True]"))
        count.select(section.locator("select[name=outcome]"), "no_response")
        section.get_by_role("button", name="Save").click()
        expect(p.locator("#section-prior-treatments")).to_contain_text(name)

    screening = f"{base}/screening/patients/{patient.pk}/"

    def back_to_needs() -> None:
        """Back to the card (a saved form may land there already)."""
        p.wait_for_load_state()
        if p.url.split("#")[0] != screening:
            p.goto(f"{screening}#needs")
        expect(p.locator("#needs")).to_be_visible()

    back_to_needs()
    p.locator("#needs tr", has_text="HAM-A").get_by_role("link").click()
    form = p.locator("#scale-form")
    items = form.locator("select:not([name=context]):not([name=rater])").all()
    assert len(items) == 14, len(items)
    for item, answer in zip(items, [4] * 6 + [0] * 8, strict=True):  # HAM-A 24
        count.select(item, str(answer))
    form.get_by_role("button", name="Save and score").click()

    expect(p.locator("ul.messages")).to_contain_text("HAM-A recorded: 24")
    back_to_needs()
    p.locator("#needs tr", has_text=re.compile("resting BP|blood pressure", re.I)).get_by_role(
        "link"
    ).click()
    count.fill(p.get_by_label("Systolic (mmHg)"), "124")
    count.fill(p.get_by_label("Diastolic (mmHg)"), "78")
    p.get_by_role("button", name="Save").click()
    back_to_needs()
    p.locator("#needs tr", has_text="ECG").get_by_role("link").click()
    count.select(p.get_by_label("Result"), "normal")
    p.get_by_role("button", name="Save").click()
    back_to_needs()
    p.locator("#needs tr", has_text=re.compile("sleep.apnoea", re.I)).get_by_role("link").click()
    count.select(p.get_by_label("Result"), "normal")
    count.fill(p.get_by_label("Score"), "1")
    p.get_by_role("button", name="Save").click()
    back_to_needs()
    earlier = timezone.now() - timedelta(minutes=5)
    for kind in ("psychiatric_assessment", "liver_function", "renal_function"):
        record_observation(prescriber, patient, kind=kind, observed_at=earlier, result="normal")

    # ---- open a review, then sign it
    p.goto(f"{base}/screening/patients/{patient.pk}/")
    p.locator("#eligibility").get_by_role("button", name="Open a new review").click()
    expect(p.locator("#eligibility")).to_contain_text("Unmet requirements 0")
    p.get_by_role("link", name="Sign off").click()
    count.check(p.locator("input[name=decision][value=eligible]"))
    count.fill(p.get_by_label(re.compile("Reason")), "Meets the IV protocol's criteria")
    p.get_by_role("button", name="Sign and lock").click()
    expect(p.locator("ul.messages")).to_be_visible()
    expect(p.locator("#eligibility")).to_contain_text("Eligible")

    # ---- the nurse records consent
    n = new_page(browser)
    sign_in(n, f"{base}/screening/patients/{patient.pk}/consent/", nurse.username)
    count.watch(n)
    count.fill(n.get_by_label("Patient's name, typed by the patient"), "Robin Walker")
    count.check(n.get_by_label("I witnessed the patient read the document"))
    n.get_by_role("button", name="Record consent").click()
    expect(n.locator("ul.messages")).to_be_visible()

    # ---- the prescriber starts a course: the signed review's protocol is already chosen
    p.goto(f"{base}/courses/patient/{patient.pk}/start/")
    protocol = p.get_by_label("Protocol")
    expect(protocol.locator("option:checked")).to_contain_text("IV ketamine")
    count.fill(p.get_by_label("Start date"), timezone.localdate().isoformat())
    p.get_by_role("button", name="Start course").click()
    expect(p.locator("ul.messages")).to_be_visible()
    course = Course.objects.get(patient=patient)

    # ---- the front desk books the first session from the free-slot finder
    desk.goto(f"{base}/courses/{course.pk}/book/")
    finder = desk.locator("form.slot-finder")
    tomorrow = timezone.localdate() + timedelta(days=1)  # a Thursday
    count.fill(finder.get_by_label("Day"), tomorrow.isoformat())
    finder.get_by_role("button", name="Find free times").click()
    slot = desk.locator(".slot-list a").first
    at = (slot.text_content() or "").strip()
    slot.click()
    expect(desk.get_by_label("Date")).to_have_value(tomorrow.isoformat())
    desk.get_by_role("button", name="Book").click()
    expect(desk.locator("ul.messages")).to_be_visible()
    expect(desk.locator("ul.messages")).to_contain_text("Booked session 1")
    appointment = Appointment.objects.get(course__patient=patient)
    assert appointment.session_number == 1 and appointment.course_id == course.pk
    assert f"{local(appointment.starts_at, patient.clinic):%H:%M}" == at  # the slot chosen

    report = (
        f"new patient to a booked course: {count.inputs} inputs filled, {count.loads} page loads"
    )
    print("\n" + report)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "walk-new-patient.txt").write_text(report + "\n")
