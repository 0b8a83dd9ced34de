"""A nurse signs in, finds a patient, opens the chart and adds a medication — in a real browser.

Playwright (sync API) drives Debian's Chromium against pytest-django's live server. Without
Chromium the test is skipped, unless KETAFLOW_REQUIRE_BROWSER=1 (CI) makes that a failure.
Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.conftest import PASSWORD
from ketaflow.lib.tests.browser import ARTIFACTS, chromium

pytestmark = pytest.mark.browser


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()


@pytest.fixture
def charted_patient(patient: Any, nurse: Any, prescriber: Any, clinic: Any) -> Any:
    """A patient with a believable chart, in a synthetic clinic (so the banner shows)."""
    from ketaflow.patients.services import add_entry

    clinic.is_synthetic = True
    clinic.save()
    add_entry(prescriber, patient, "diagnoses", {"code": "F41.1", "is_primary": True})
    add_entry(nurse, patient, "allergies", {"substance": "Penicillin", "severity": "severe"})
    add_entry(
        nurse,
        patient,
        "measurements",
        {
            "kind": "weight",
            "entered_value": 68,
            "entered_unit": "kg",
            "measured_on": timezone.localdate(),
        },
    )
    add_entry(
        nurse,
        patient,
        "measurements",
        {
            "kind": "height",
            "entered_value": 167,
            "entered_unit": "cm",
            "measured_on": timezone.localdate(),
        },
    )
    add_entry(
        nurse,
        patient,
        "prior-treatments",
        {"kind": "ssri", "name": "Sertraline 150 mg", "adequate": True, "outcome": "no_response"},
    )
    add_entry(
        nurse,
        patient,
        "history",
        {"condition": "hypertension", "presence": "absent"},
    )
    return patient


def test_a_nurse_signs_in_finds_a_patient_and_adds_a_medication_to_the_chart(
    page: Any, live_server: Any, nurse: Any, charted_patient: Any
) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    shot = lambda name: page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # noqa: E731

    # Sign in through the real form.
    page.goto(f"{live_server.url}/patients/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(nurse.username)
    page.get_by_label("Password").fill(PASSWORD)
    shot("sign-in")
    page.get_by_role("button", name="Sign in").click()

    # The login sent us on to the patient list; search live (htmx) by family name.
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    page.get_by_role("searchbox").fill("doe")
    results = page.locator("#patient-results")
    expect(results).to_contain_text("matching “doe”")
    expect(results.get_by_role("link", name="Doe, Jane")).to_be_visible()
    shot("patient-list")

    # Open the patient, then the chart tab.
    results.get_by_role("link", name="Doe, Jane").click()
    expect(page.get_by_role("heading", name="Demographics")).to_be_visible()
    page.get_by_role("link", name="Clinical chart").click()
    expect(page.locator(".summary-allergies")).to_contain_text("Penicillin")

    # Add a benzodiazepine without its diazepam-equivalent dose: a field-level error.
    meds = page.locator("#section-medications")
    meds.get_by_text("+ Add").click()
    meds.get_by_label("Name").fill("Lorazepam")
    meds.get_by_label("Dose").fill("1 mg twice daily")
    meds.get_by_label("Benzodiazepine").check()
    meds.get_by_role("button", name="Save").click()
    meds = page.locator("#section-medications")
    expect(meds.locator(".error-text")).to_contain_text("diazepam-equivalent")
    meds.scroll_into_view_if_needed()
    page.locator("#section-medications").screenshot(path=str(ARTIFACTS / "form-errors.png"))

    # Correct it and save: the medication appears in the chart with its class.
    meds.get_by_label("Diazepam-equivalent (mg/day)").fill("20")
    meds.get_by_role("button", name="Save").click()
    meds = page.locator("#section-medications")
    expect(meds.get_by_role("status")).to_contain_text("Saved")
    row = meds.locator("tr", has_text="Lorazepam")
    expect(row).to_contain_text("Benzodiazepine")
    expect(row).to_contain_text("20.0 mg/day")
    shot("chart")

    # It survives a reload: it was saved, not just drawn.
    page.reload()
    expect(page.locator("#section-medications tr", has_text="Lorazepam")).to_be_visible()
    assert charted_patient.medications.get().name == "Lorazepam"
