"""From supply to the nurse: a prescriber authorises and dispenses a take-home supply through
the dispensing pages, the patient records a home dose on a phone through their portal link,
and the nurse sees it on her worklist and acknowledges it (issue #16), in a real browser.

Playwright drives Debian's Chromium against the live server: the staff at a desktop size, the
patient at a phone size (390 x 844). The supervised sessions that make the patient eligible,
the stock and the PDMP check are made with their apps' own fixtures and services (each has its
own tests); the authorisation and the supply go through the pages. Without Chromium the test is
skipped, unless KETAFLOW_REQUIRE_BROWSER=1 makes that a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.conftest import _make_user
from ketaflow.lib.tests.browser import ARTIFACTS as BROWSER_ARTIFACTS
from ketaflow.lib.tests.browser import chromium
from ketaflow.treatments.tests.browser_world import totp_code
from ketaflow.treatments.tests.test_browser_session_end_to_end import new_page, sign_in

ARTIFACTS = BROWSER_ARTIFACTS / "homediary"
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, live_server: Any) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        yield browser


@pytest.fixture
def eligible(course: Any, clinic_admin: Any, prescriber: Any, nurse: Any) -> Any:
    """Supervised doses done, stock on the book, a PDMP check today, a second nurse."""
    from ketaflow.courses.services import add_chair
    from ketaflow.dispensing import services
    from ketaflow.dispensing.tests.conftest import make_supervised

    second = _make_user(course.patient.clinic, "nurse2", "nurse", first_name="Noor")
    make_supervised(course, add_chair(clinic_admin, name="Chair 1"), prescriber, nurse, 4)
    services.receive_stock(
        nurse,
        product="Ketamine HCl 50 mg sublingual troche",
        dosage_form="troche",
        strength_mg=50.0,
        lot="LOT-A1",
        expires_on=timezone.localdate() + timedelta(days=365),
        quantity=100,
        witness=second,
        supplier="Compounding pharmacy",
    )
    services.record_pdmp_check(
        nurse, course.patient, checked_on=timezone.localdate(), outcome="no_concern"
    )
    return course


def test_a_supply_a_home_dose_on_a_phone_and_the_nurses_worklist(
    browser: Any, live_server: Any, nurse: Any, prescriber: Any, patient: Any, eligible: Any
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from ketaflow.dispensing.models import Supply, TakeHomeAuthorisation
    from ketaflow.homediary.models import DiaryEntry
    from ketaflow.portal.services import issue_link

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    course = eligible

    # ---- the prescriber authorises home doses and dispenses the first supply (the pages)
    device = TOTPDevice.objects.create(user=prescriber, name="Authenticator app", confirmed=True)
    p = new_page(browser)
    p.set_default_timeout(45_000)  # a shared, busy machine
    sign_in(p, f"{base}/dispensing/courses/{course.pk}/authorise", prescriber.username)
    p.get_by_label("6-digit code from your authenticator app").fill(totp_code(device))
    p.get_by_role("button", name="Verify").click()
    p.get_by_label("Product").fill("Ketamine HCl 50 mg sublingual troche")
    p.get_by_label("Dosage form").select_option("troche")
    p.get_by_label("Strength per unit (mg)").fill("50")
    p.get_by_label("Units per dose").fill("1")
    p.get_by_label("One dose every (days)").fill("3")
    p.get_by_label("Most days one supply may cover").fill("30")
    p.get_by_label("Refills allowed").fill("1")
    p.get_by_label("I have read the warning on home use above").check()
    p.get_by_label("Why home doses for this patient").fill("Stable over supervised doses.")
    p.get_by_role("button", name="Save").click()
    expect(p.get_by_text("Home doses authorised.")).to_be_visible()
    auth = TakeHomeAuthorisation.objects.get(course=course)
    assert auth.authorised_by == prescriber and auth.dose_mg == 50

    p.goto(f"{base}/dispensing/authorisations/{auth.pk}/dispense")
    p.get_by_label("Quantity (units)").fill("10")
    p.get_by_label("Lot").select_option("LOT-A1")
    p.get_by_label("Witness").select_option(str(nurse.pk))
    p.get_by_label("The patient acknowledged the storage rules").check()
    p.get_by_label("The patient acknowledged the no-driving rules").check()
    p.get_by_role("button", name="Save").click()
    expect(p.get_by_text("Supply dispensed and logged.")).to_be_visible()
    supply = Supply.objects.get(authorisation=auth)

    # ---- the patient records the dose on a phone, through the link
    issued = issue_link(nurse, patient, base_url=base)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.set_default_timeout(45_000)
    phone.goto(issued.url)
    expect(phone.get_by_role("button", name="Something is wrong")).to_be_visible()
    phone.get_by_role("link", name="Your dose diary").click()
    expect(phone.get_by_role("heading", name="Your dose diary")).to_be_visible()
    phone.get_by_label("How much did you take (mg)?").fill("50")
    phone.get_by_label("Nausea").check()
    phone.get_by_label("Mild").check()
    phone.locator('input[name="detached"][value="1"]').check()
    phone.locator('input[name="drowsy"][value="1"]').check()
    phone.get_by_role("button", name="Save this dose").click()
    expect(phone.get_by_role("heading", name="Saved: thank you")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the diary scrolls sideways on a phone ({width}px)"
    phone.screenshot(path=str(ARTIFACTS / "phone-dose-saved.png"), full_page=True)
    entry = DiaryEntry.objects.get()
    assert (entry.patient, entry.supply, entry.dose_mg) == (patient, supply, 50)
    context.close()

    # ---- the nurse sees it on her worklist and acknowledges it on the diary page
    n = new_page(browser)
    n.set_default_timeout(45_000)
    sign_in(n, f"{base}/", nurse.username)
    doses = n.locator("#home-doses")
    item = doses.get_by_role("link", name=re.compile(r"Jane Doe: 50 mg at home"))
    expect(item).to_be_visible()
    n.screenshot(path=str(ARTIFACTS / "nurse-worklist.png"), full_page=True)
    item.click()
    row = n.locator(f"#entry-{entry.pk}")
    expect(row).to_contain_text("nausea (mild)")
    row.get_by_label("Note").fill("Read; called, all well.")
    row.get_by_role("button", name="Acknowledge").click()
    expect(n.locator(f"#entry-{entry.pk}")).to_contain_text("Read; called, all well.")
    entry.refresh_from_db()
    assert entry.acknowledged_by == nurse
