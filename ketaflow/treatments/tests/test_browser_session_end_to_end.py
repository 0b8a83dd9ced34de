"""A nurse and a prescriber take a patient from check-in to a signed session — in a real browser.

The world before check-in (signed eligibility, current consent, an IV course, last week's
weight, today's appointment in Chair 1, the prescriber's authenticator) is built with services
(`browser_world.py`). From check-in on, every step goes through the pages: two browser
contexts, one per person, each signed in through the login form (the prescriber with a real
TOTP code). Screenshots go to test-artifacts/session-e2e/ (git-ignored).

Time: the 60-minute IV observation minimum cannot be waited out in a test; the prescriber
overrides that soft reason with a recorded reason, as the discharge panel allows for IV (and
only that: the nurse's escort and "told not to drive" answers stay as she saved them).

Layout: `test_session_page_layout_screenshots` draws the session page at tablet (1024×768) and
phone (390×844) sizes; `KETAFLOW_SAVE_DOC_SHOTS=1` also copies two to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ketaflow.conftest import PASSWORD
from ketaflow.lib.tests.browser import ARTIFACTS, chromium
from ketaflow.treatments.tests.browser_world import World, build_world, totp_code

SHOTS = ARTIFACTS / "session-e2e"
CADSS_ITEMS = 23

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, live_server: Any) -> Iterator[Any]:
    """Chromium, closed before the live server stops (so no request holds a connection)."""
    with chromium(monkeypatch) as browser:
        yield browser


@pytest.fixture
def world(clinic_admin: Any, nurse: Any, prescriber: Any, patient: Any) -> World:
    return build_world(
        clinic_admin=clinic_admin, nurse=nurse, prescriber=prescriber, patient=patient
    )


class Shots:
    def __init__(self) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob("*.png"):
            old.unlink()
        self.n = 0

    def __call__(self, page: Any, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(SHOTS / f"{self.n:02d}-{name}.png"), full_page=True)


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page: Any, url: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def local_time(clinic: Any, minutes_ago: float) -> str:
    """What a nurse types for "N minutes ago": HH:MM (later than now = yesterday, "21:40")."""
    from django.utils import timezone

    from ketaflow.lib.clock import local

    return local(timezone.now() - timedelta(minutes=minutes_ago), clinic).strftime("%H:%M")


def enter_vitals(page: Any, sbp: int, dbp: int, hr: int, spo2: int, rr: int) -> None:
    """From the keyboard: focus systolic, type, Tab to the next field, Enter submits (htmx)."""
    from playwright.sync_api import expect

    page.locator("#vitals").get_by_label("systolic", exact=True).click()
    for i, value in enumerate((sbp, dbp, hr, spo2, rr)):
        if i:
            page.keyboard.press("Tab")
        page.keyboard.type(str(value))
    with page.expect_response(lambda r: "/do/vitals/" in r.url):
        page.keyboard.press("Enter")
    # The new row's form takes the cursor back to systolic (autofocus, after htmx settles):
    # wait for it, or typing elsewhere next could land in the vitals form.
    expect(page.locator("#vitals").get_by_label("systolic", exact=True)).to_be_focused()


def record_scale(page: Any, name: str, every_item: str) -> None:
    """Open the scale's form on the session page, answer every item the same, record it."""
    title = page.locator("summary strong", has_text=re.compile(f"^{re.escape(name)}$"))
    details = page.locator("#scales details").filter(has=title)
    details.locator("summary").click()
    for radio in details.locator(f"input[type=radio][value='{every_item}']").all():
        radio.check()
    with page.expect_response(lambda r: "/scales/" in r.url) as response:
        details.get_by_role("button", name=f"Record {name}").click()
    assert response.value.status == 200, f"recording {name}: HTTP {response.value.status}"


def test_a_nurse_and_a_prescriber_take_a_patient_from_check_in_to_a_signed_session(
    browser: Any, live_server: Any, world: World, nurse: Any, prescriber: Any, clinic: Any
) -> None:
    from playwright.sync_api import expect

    from ketaflow.treatments.models import TreatmentSession

    shot = Shots()
    base = live_server.url

    # ---- the nurse signs in and opens the chair board
    n = new_page(browser)
    sign_in(n, f"{base}/treatments/board/", nurse.username)
    expect(n.get_by_role("heading", name="Chair board")).to_be_visible()
    row = n.locator("#board tr", has_text="Chair 1")
    expect(row).to_contain_text("Doe")
    shot(n, "chair-board")

    # ---- check-in
    row.get_by_role("button", name="Check in").click()
    expect(n.get_by_role("heading", name=re.compile(r"Session 1 · Chair 1"))).to_be_visible()
    session = TreatmentSession.objects.get(appointment=world.appointment)
    session_url = f"{base}/treatments/{session.pk}/"
    checklist = n.locator("#checklist")
    expect(checklist).to_contain_text("Dosing cannot start yet.")
    shot(n, "checked-in")

    # ---- pre-session questionnaire: the checklist item links to the GAD-7 on this page
    checklist.get_by_role("link", name="Fill in the GAD-7 now").click()
    form = n.locator("#pre-session-questionnaire")
    for radio in form.locator("input[type=radio][value='1']").all():
        radio.check()
    form.get_by_role("button", name="Record GAD-7").click()
    expect(n.locator("ul.messages")).to_contain_text("GAD-7 recorded: 7")

    # ---- baseline vitals, then the checklist (no reload: the vitals swap moves every form on)
    enter_vitals(n, 122, 78, 70, 98, 14)
    expect(n.locator("#vitals tbody tr").first).to_contain_text("122/78")
    checklist = n.locator("#checklist")
    # An overnight fast: a bare time later than now is last night.
    checklist.get_by_label("Last food (HH:MM)").fill(local_time(clinic, 9 * 60))
    checklist.get_by_label("Last clear drink (HH:MM)").fill(local_time(clinic, 4 * 60))
    checklist.get_by_label("Escort name").fill("Sam Doe")
    checklist.get_by_label("Escort phone").fill("07700 900123")
    checklist.get_by_label("Today's weight (kg)").fill("70.4")
    checklist.get_by_label("Pregnancy test today").select_option("no")
    checklist.get_by_label("Medication changes asked").check()
    checklist.get_by_label("Alcohol today").select_option("no")
    checklist.get_by_label("Recreational drugs today").select_option("no")
    checklist.get_by_label("Signs of intoxication").select_option("no")
    expect(checklist.get_by_label("Last food (HH:MM)")).to_have_value(local_time(clinic, 9 * 60))
    checklist.get_by_role("button", name="Save checklist").click()
    expect(n.locator("ul.messages")).to_contain_text("Saved.")
    checklist = n.locator("#checklist")
    expect(checklist).to_contain_text("Dosing may start.")
    shot(n, "checklist-passed")

    # ---- the nurse proposes the order
    order = n.locator("#order")
    order.get_by_label("mg/kg").fill("0.5")
    order.get_by_label("Concentration (mg/mL)").fill("1")
    order.get_by_role("button", name="Propose order").click()
    order = n.locator("#order")
    expect(order).to_contain_text("Proposed")
    expect(order).to_contain_text("35.2 mg")
    shot(n, "order-proposed")

    # ---- the prescriber signs in (password, then a real TOTP code) and confirms
    p = new_page(browser)
    sign_in(p, session_url, prescriber.username)
    expect(p.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    p.get_by_label("6-digit code from your authenticator app").fill(totp_code(world.totp))
    shot(p, "prescriber-2fa")
    p.get_by_role("button", name="Verify").click()
    expect(p.get_by_role("heading", name=re.compile(r"Session 1 · Chair 1"))).to_be_visible()
    p.locator("#order").get_by_role("button", name="Confirm order").click()
    expect(p.locator("#order")).to_contain_text("Confirmed")
    shot(p, "order-confirmed")

    # ---- the nurse sees the confirmation (the page does not refresh itself) and starts
    n.reload()
    admin = n.locator("#administration")
    expect(admin.get_by_label("Rate (mL/h)")).to_have_value("52.8")
    admin.get_by_role("button", name="Start").click()
    admin = n.locator("#administration")
    expect(admin).to_contain_text("pump infusing at 52.8 mL/h")
    shot(n, "infusing")

    # ---- vitals from the keyboard: an alerting BP shows its alert at once
    enter_vitals(n, 185, 112, 96, 97, 16)
    vitals = n.locator("#vitals")
    newest = vitals.locator("tbody tr").first
    expect(newest).to_contain_text("185/112")
    expect(newest.locator(".alert-red", has_text="Systolic 185")).to_contain_text("critical")
    expect(newest.locator(".alert-red", has_text="Diastolic 112")).to_contain_text("critical")
    shot(n, "bp-alert")

    # ---- pause, resume, stop (no reload: the vitals swap moved the buttons' version on); the
    # stop comes before the ordered dose is in, so it needs a reason
    for button, state in (("Pause", "paused"), ("Resume", "infusing")):
        n.locator("#administration").get_by_role("button", name=button, exact=True).click()
        expect(n.locator("#administration")).to_contain_text(f"pump {state}")
    n.locator("#administration").get_by_role("button", name="Stop", exact=True).click()
    # refused in the card, where the nurse is (an htmx swap of its errors box only)
    expect(n.locator("#administration-errors")).to_contain_text(
        "Say why: the infusion is stopped at"
    )
    n.locator("#administration").get_by_label("Reason").fill("BP 185/112 during the infusion")
    n.locator("#administration").get_by_role("button", name="Stop", exact=True).click()
    expect(n.locator("#administration")).to_contain_text("pump stopped")
    expect(n.locator(".lede").first).to_contain_text("Observing")
    shot(n, "stopped")

    # ---- MOAA/S and CADSS, and settled vitals after the stop
    record_scale(n, "MOAA/S", "5")
    expect(n.locator("#scale-result")).to_contain_text("MOAA/S 5")
    record_scale(n, "CADSS", "0")
    expect(n.locator("#scale-result")).to_contain_text("CADSS 0")
    scales = n.locator("#scales tbody")
    expect(scales.locator("tr", has_text="MOAA/S")).to_contain_text("5")
    expect(scales.locator("tr", has_text=re.compile(r"^\s*\S+\s*CADSS\s"))).to_contain_text("0")
    shot(n, "scales")
    enter_vitals(n, 128, 82, 74, 98, 14)
    expect(n.locator("#vitals tbody tr").first).to_contain_text("128/82")

    # ---- the discharge panel followed the scales and vitals (no reload) and says why not yet
    discharge = n.locator("#discharge")
    expect(discharge).to_contain_text("observation minimum")
    expect(discharge).not_to_contain_text("MOAA/S")
    expect(discharge).not_to_contain_text("pre-discharge vitals")
    shot(n, "discharge-blocked")
    for radio in discharge.locator("input[type=radio][value='2']").all():  # Aldrete, PADSS
        radio.check()
    discharge.locator("select[name=dissociation_resolved]").select_option("yes")
    discharge.get_by_label("Escort present").check()
    discharge.get_by_label("Told not to drive until tomorrow").check()
    discharge.get_by_role("button", name="Save assessment").click()
    discharge = n.locator("#discharge")
    expect(discharge.locator(".alert")).to_have_count(1)
    expect(discharge).to_contain_text("observation minimum for IV")
    shot(n, "discharge-observation-left")

    # ---- the prescriber overrides the observation minimum with a reason and discharges: the
    # form shows the nurse's answers, so adding only the override keeps them
    p.reload()
    discharge = p.locator("#discharge")
    expect(discharge.locator("input[name='aldrete-activity'][value='2']")).to_be_checked()
    expect(discharge.locator("input[name='padss-vital_signs'][value='2']")).to_be_checked()
    expect(discharge.get_by_label("Escort present")).to_be_checked()
    reason = discharge.locator("ul.blocking-reasons li", has_text="observation minimum")
    reason.get_by_label("Reason to override").fill(
        "Asymptomatic, settled, escort present; reviewed at the chair"
    )
    discharge.get_by_role("button", name="Discharge").click()
    expect(p.locator(".lede").first).to_contain_text("Discharged")
    shot(p, "discharged")

    # ---- signing waits for the open alerts; the prescriber acknowledges each with the action
    # taken, reviews the summary (early stop, override, alerts) and signs with an attestation
    expect(p.locator("#open-alerts")).to_contain_text("Systolic 185")
    p.get_by_role("button", name="Sign and lock the session").click()  # refused in the card
    expect(p.locator("#sign-errors")).to_contain_text("open alert(s) before signing")
    acks = p.locator("#vitals form").filter(has=p.get_by_role("button", name="Acknowledge"))
    for left in range(acks.count() - 1, -1, -1):
        acks.first.get_by_placeholder("action taken").fill("Infusion stopped, BP rechecked")
        acks.first.get_by_role("button", name="Acknowledge").click()
        expect(acks).to_have_count(left)
    expect(p.locator("#open-alerts")).to_have_count(0)
    summary = p.locator("#signing-summary")
    expect(summary).to_contain_text("Stopped at")
    expect(summary).to_contain_text("BP 185/112 during the infusion")
    expect(summary).to_contain_text("observation shorter than the protocol's minimum")
    p.get_by_role("button", name="Sign and lock the session").click()
    expect(p.locator("#sign-errors")).to_contain_text("write your attestation to sign")
    expect(p.locator(".lede").first).to_contain_text("Discharged")
    p.get_by_label(re.compile("Prescriber's attestation")).fill(
        "Reviewed: early stop for BP, alerts acted on, observation override justified."
    )
    p.get_by_role("button", name="Sign and lock the session").click()
    expect(p.locator("ul.messages")).to_contain_text("Signed")
    expect(p.locator("#sign")).to_contain_text("Signed by")
    expect(p.locator("#attestation-record")).to_contain_text("Reviewed: early stop for BP")
    expect(p.locator(".lede").first).to_contain_text("Signed")
    expect(p.locator("#administration").get_by_role("button", name="Start")).to_have_count(0)
    expect(p.locator("#vitals form")).to_have_count(0)
    expect(p.locator("#side-effects form")).to_have_count(0)
    expect(p.locator("#rescue form")).to_have_count(0)
    expect(p.locator("#vitals")).not_to_contain_text("Next:")
    shot(p, "signed")

    n.reload()
    expect(n.locator(".lede").first).to_contain_text("Signed")
    session.refresh_from_db()
    assert session.status == "signed" and session.signed_by == prescriber


def test_session_page_layout_screenshots(
    browser: Any, live_server: Any, world: World, nurse: Any, clinic: Any
) -> None:
    """Tablet and phone: the vitals sit in one entry row on a tablet and wrap on a phone."""
    from playwright.sync_api import expect

    from ketaflow.treatments.services import check_in

    session = check_in(nurse, world.appointment)
    save_docs = os.environ.get("KETAFLOW_SAVE_DOC_SHOTS") == "1"
    docs = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, (width, height) in (("tablet", (1024, 768)), ("phone", (390, 844))):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, f"{live_server.url}/treatments/{session.pk}/", nurse.username)
        boxes = [
            page.locator("#vitals").get_by_label(label).bounding_box()
            for label in ("systolic", "diastolic", "heart rate", "SpO2", "respiratory rate")
        ]
        tops = {round(b["y"]) for b in boxes if b}
        if name == "tablet":
            assert len(tops) == 1, f"vitals boxes on one row at {width}px, got rows at {tops}"
        assert all(b and b["width"] < width / 2 for b in boxes), "no full-width vitals boxes"
        page.locator("#vitals").screenshot(path=str(SHOTS / f"layout-{name}-vitals.png"))
        page.screenshot(path=str(SHOTS / f"layout-{name}.png"), full_page=True)
        if save_docs and name == "tablet":
            page.screenshot(path=str(docs / "session.png"), full_page=False)
            page.goto(f"{live_server.url}/treatments/board/")
            expect(page.get_by_role("heading", name="Chair board")).to_be_visible()
            page.screenshot(path=str(docs / "chair-board.png"), full_page=False)
        context.close()
