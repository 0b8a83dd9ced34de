"""A nurse and a prescriber walk a whole session from their home worklists, counting page loads.

Issue #13 ("At the chair and at the desk"): each person starts from the home page their role
lands on and follows its items — the nurse her chair item (to the board, check-in), the
prescriber "Orders to confirm" and later "Sessions to sign". Every full page load (the
main frame's `load` event: a GET, or a POST answered by a redirect; htmx swaps are not
loads) after each person's sign-in is counted, per person, printed, and written to
test-artifacts/walk-page-loads.txt. axe runs on each distinct page the walk passes.

Every action on the session page is an htmx swap of the page's session region (the plain POST
and redirect stay for a browser without JavaScript), and the nurse's open page refreshes itself
(its status poll) when the prescriber confirms the order, so she never reloads it.

The world before check-in is `browser_world.build_world` (services). Time is Django's pinned
clock (`clock`); after the stop it moves on past the IV observation minimum, so the nurse
discharges without an override. The idle sign-out is lengthened for that jump only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ketaflow.conftest import DEFAULT_NOW
from ketaflow.lib.tests.axe import serious_violations
from ketaflow.lib.tests.browser import ARTIFACTS, chromium
from ketaflow.treatments.tests.browser_world import World, build_world, totp_code
from ketaflow.treatments.tests.conftest import ALDRETE_KEYS, PADSS_KEYS
from ketaflow.treatments.tests.test_browser_session_end_to_end import (
    enter_vitals,
    local_time,
    new_page,
    record_scale,
    sign_in,
)
from ketaflow.treatments.views import POLL_SECONDS

DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
LOADS_FILE = ARTIFACTS / "walk-page-loads.txt"
#: Page loads of the walk, a ceiling so that a new load fails. When this test was written they
#: were 14 (nurse 9 + prescriber 5): every chair-side action other than vitals and scales was
#: a form post answered by a redirect, and the nurse reloaded to see the confirmation. With
#: the session page's actions as htmx swaps and its status poll: 5 (the issue's goal is 6):
#: nurse 2 (the board from her chair item; the session page after check-in), prescriber 3
#: (the session from "Orders to confirm"; home; the session from "Sessions to sign").
LOAD_CEILING = 5

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, live_server: Any) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        yield browser


@pytest.fixture
def world(clinic_admin: Any, nurse: Any, prescriber: Any, patient: Any) -> World:
    return build_world(
        clinic_admin=clinic_admin, nurse=nurse, prescriber=prescriber, patient=patient
    )


class Loads:
    """Full page loads of one person's tab, each with the page it landed on."""

    def __init__(self, page: Any) -> None:
        self.pages: list[str] = []
        page.on("load", lambda p: self.pages.append(re.sub(r"^https?://[^/]+", "", p.url)))

    def __len__(self) -> int:
        return len(self.pages)


class Axe:
    """axe on each distinct page (path, without ids' values) the first time it is passed."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.found: list[str] = []

    def __call__(self, who: str, page: Any) -> None:
        page.wait_for_load_state("networkidle")
        key = who + re.sub(r"\d+", "N", re.sub(r"^https?://[^/]+", "", page.url).split("#")[0])
        if key in self.seen:
            return
        self.seen.add(key)
        self.found += [f"{who}: {line}" for line in serious_violations(page)]


def test_a_nurse_and_a_prescriber_walk_a_session_from_their_worklists(
    browser: Any,
    live_server: Any,
    world: World,
    nurse: Any,
    prescriber: Any,
    clinic: Any,
    clock: Any,
    settings: Any,
) -> None:
    from playwright.sync_api import expect

    from ketaflow.treatments.models import TreatmentSession

    settings.IDLE_TIMEOUT_MINUTES = 240  # the clock jumps over the observation hour below
    save_docs = os.environ.get("KETAFLOW_SAVE_DOC_SHOTS") == "1"
    base = live_server.url
    axe = Axe()

    # ---- the nurse signs in and lands on her worklist
    n = new_page(browser)
    sign_in(n, f"{base}/", nurse.username)
    expect(n.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    nurse_loads = Loads(n)
    chairs = n.locator("#chairs-today")
    expect(chairs).to_contain_text("Chair 1 · Jane Doe: arriving")
    axe("nurse", n)
    if save_docs:
        n.screenshot(path=str(DOCS / "worklist-nurse.png"), full_page=False)

    # ---- her chair item: not checked in yet, so it opens the board; check in there
    chairs.get_by_role("link", name=re.compile("Chair 1 · Jane Doe")).click()
    expect(n.get_by_role("heading", name="Chair board")).to_be_visible()
    axe("nurse", n)
    n.locator("#board tr", has_text="Chair 1").get_by_role("button", name="Check in").click()
    expect(n.get_by_role("heading", name=re.compile(r"Session 1 · Chair 1"))).to_be_visible()
    session = TreatmentSession.objects.get(appointment=world.appointment)
    axe("nurse", n)
    if save_docs:
        n.locator(".patient-banner").first.screenshot(path=str(DOCS / "patient-banner.png"))

    # ---- the checklist: questionnaire, baseline vitals (htmx), the answers, the order
    n.locator("#checklist").get_by_role("link", name="Fill in the GAD-7 now").click()
    form = n.locator("#pre-session-questionnaire")
    for radio in form.locator("input[type=radio][value='1']").all():
        radio.check()
    form.get_by_role("button", name="Record GAD-7").click()
    expect(n.locator("ul.messages")).to_contain_text("GAD-7 recorded: 7")
    enter_vitals(n, 122, 78, 70, 98, 14)
    checklist = n.locator("#checklist")
    checklist.get_by_label("Last food (HH:MM)").fill(local_time(clinic, 9 * 60))
    checklist.get_by_label("Last clear drink (HH:MM)").fill(local_time(clinic, 4 * 60))
    checklist.get_by_label("Escort name").fill("Sam Doe")
    checklist.get_by_label("Escort phone").fill("07700 900123")
    checklist.get_by_label("Today's weight (kg)").fill("70.4")
    checklist.get_by_label("Pregnancy test today").select_option("no")
    checklist.get_by_label("Medication changes asked").check()
    for label in ("Alcohol today", "Recreational drugs today", "Signs of intoxication"):
        checklist.get_by_label(label).select_option("no")
    checklist.get_by_role("button", name="Save checklist").click()
    expect(n.locator("#checklist")).to_contain_text("Dosing may start.")
    order = n.locator("#order")
    order.get_by_label("mg/kg").fill("0.5")
    order.get_by_label("Concentration (mg/mL)").fill("1")
    order.get_by_role("button", name="Propose order").click()
    expect(n.locator("#order")).to_contain_text("Proposed")

    # ---- the prescriber (password and a real TOTP code) confirms from "Orders to confirm"
    p = new_page(browser)
    sign_in(p, f"{base}/", prescriber.username)
    p.get_by_label("6-digit code from your authenticator app").fill(totp_code(world.totp))
    p.get_by_role("button", name="Verify").click()
    expect(p.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    prescriber_loads = Loads(p)
    waiting = p.locator("#orders-to-confirm")
    expect(waiting).to_contain_text("Chair 1 · Jane Doe: 35.2 mg proposed")
    axe("prescriber", p)
    if save_docs:
        p.screenshot(path=str(DOCS / "worklist-prescriber.png"), full_page=False)
    waiting.get_by_role("link", name=re.compile("Jane Doe")).click()
    expect(p.get_by_role("heading", name=re.compile(r"Session 1 · Chair 1"))).to_be_visible()
    axe("prescriber", p)
    p.locator("#order").get_by_role("button", name="Confirm order").click()
    expect(p.locator("#order")).to_contain_text("Confirmed")

    # ---- the nurse's open page shows the confirmation by itself (its poll), she starts, charts
    admin = n.locator("#administration")
    poll = (POLL_SECONDS + 10) * 1000
    expect(admin.get_by_label("Rate (mL/h)")).to_have_value("52.8", timeout=poll)
    expect(n.locator("#order")).to_contain_text("Confirmed")
    # Charted to the minute (as the pump shows it), so the 40 minutes deliver the order exactly
    admin.locator("#pump-at").fill(local_time(clinic, 0))
    admin.get_by_role("button", name="Start").click()
    expect(n.locator("#administration")).to_contain_text("pump infusing at 52.8 mL/h")
    # The swap keeps the card acted on where it was in the window, and gives it the focus (the
    # checklist above it is gone, the Start button too); the patient stays in view.
    expect(n.locator("#administration")).to_be_focused()
    expect(n.locator("#pump-at")).to_be_in_viewport()
    expect(n.locator(".patient-banner").first).to_be_in_viewport()
    clock(DEFAULT_NOW + timedelta(minutes=20))
    enter_vitals(n, 130, 84, 78, 98, 14)
    clock(DEFAULT_NOW + timedelta(minutes=41))  # the 40-minute infusion is in: stopped at 40
    n.locator("#pump-at").fill(local_time(clinic, 1))
    n.locator("#administration").get_by_role("button", name="Stop", exact=True).click()
    expect(n.locator("#administration")).to_contain_text("pump stopped")
    expect(n.locator(".lede").first).to_contain_text("Observing")

    # ---- observation: past the IV hour, settled vitals and scales (htmx), then discharge
    clock(DEFAULT_NOW + timedelta(minutes=41 + 65))
    record_scale(n, "MOAA/S", "5")
    record_scale(n, "CADSS", "0")
    enter_vitals(n, 124, 80, 72, 98, 14)
    discharge = n.locator("#discharge")
    for key in ALDRETE_KEYS:
        discharge.locator(f"input[name='aldrete-{key}'][value='2']").check()
    for key in PADSS_KEYS:
        discharge.locator(f"input[name='padss-{key}'][value='2']").check()
    discharge.locator("select[name=dissociation_resolved]").select_option("yes")
    expect(discharge.get_by_label("Escort present")).to_be_checked()
    discharge.get_by_label("Told not to drive until tomorrow").check()
    discharge.get_by_role("button", name="Discharge").click()
    expect(n.locator(".lede").first).to_contain_text("Discharged")
    # The discharge step is gone: the page goes back to its top, the new status and the message
    expect(n.locator("#session-head")).to_be_focused()
    expect(n.locator("ul.messages")).to_contain_text("Discharged.")
    axe("nurse", n)

    # ---- the prescriber goes home and signs from "Sessions to sign"
    p.get_by_role("link", name="Ketaflow").first.click()
    to_sign = p.locator("#sessions-to-sign")
    expect(to_sign).to_contain_text("Jane Doe: session 1")
    to_sign.get_by_role("link", name=re.compile("Jane Doe")).click()
    expect(p.locator(".lede").first).to_contain_text("Discharged")
    p.get_by_role("button", name="Sign and lock the session").click()
    expect(p.locator("ul.messages")).to_contain_text("Signed")
    expect(p.locator(".lede").first).to_contain_text("Signed")
    axe("prescriber", p)

    session.refresh_from_db()
    assert session.status == "signed" and session.signed_by == prescriber

    # ---- the count
    total = len(nurse_loads) + len(prescriber_loads)
    report = "\n".join(
        [
            f"nurse: {len(nurse_loads)} page loads: " + " → ".join(nurse_loads.pages),
            f"prescriber: {len(prescriber_loads)} page loads: "
            + " → ".join(prescriber_loads.pages),
            f"total: {total} (goal: 6, half of 12)",
        ]
    )
    print("\n" + report)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    LOADS_FILE.write_text(report + "\n")
    assert not axe.found, "\n".join(axe.found)
    assert total <= LOAD_CEILING, report
