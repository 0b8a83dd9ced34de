"""An open suicide risk alert flags the session and blocks the start until a prescriber assesses.

In a real browser (issue #11 item 1): the world up to a confirmed order is built with services
(`browser_world.py`, then check-in, the checklist and the order); a PHQ-9 with item 9 above 0
arrives after the checklist passed. The nurse sees the flag on the session page and Start is
not offered (and the start service refuses one: `test_suicide_risk_gates_the_start.py`);
the prescriber (password, then TOTP) records the structured assessment with the
decision "proceed"; the flag goes and the nurse's Start goes through. Screenshots go to
test-artifacts/risk-gate/ (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ketaflow.lib.tests.browser import ARTIFACTS, chromium
from ketaflow.treatments.tests.browser_world import World, build_world, totp_code
from ketaflow.treatments.tests.test_browser_session_end_to_end import new_page, sign_in

SHOTS = ARTIFACTS / "risk-gate"

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


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_risk_flag_blocks_the_start_until_the_prescribers_assessment(
    browser: Any, live_server: Any, world: World, nurse: Any, prescriber: Any
) -> None:
    from playwright.sync_api import expect

    from ketaflow.questionnaires.services import record_response
    from ketaflow.treatments import services
    from ketaflow.treatments.tests.conftest import ago, complete_checklist, fresh

    session = complete_checklist(nurse, services.check_in(nurse, world.appointment))
    services.enter_order(
        prescriber,
        session,
        fresh(session).version,
        mg_per_kg=0.5,
        concentration_mg_per_ml=1.0,
        confirm=True,
    )
    assert fresh(session).status == "ready"
    record_response(
        nurse,
        world.patient,
        "phq9",
        answers=[1, 1, 1, 1, 1, 1, 1, 1, 1],
        context="follow_up",
        administered_at=ago(2),
        rater="self",
    )
    url = f"{live_server.url}/treatments/{session.pk}/"

    # ---- the nurse: the flag on the session page, the checklist blocks, Start is refused
    n = new_page(browser)
    sign_in(n, url, nurse.username)
    heading = n.get_by_role("heading", name=re.compile(r"Session 1 · Chair 1"))
    expect(heading).to_be_visible()
    expect(n.locator(".risk-flag")).to_contain_text("Suicide risk alert")
    checklist = n.locator("#checklist")
    expect(checklist.locator("li", has_text="Suicide risk assessed")).to_contain_text(
        "Blocks the start"
    )
    expect(checklist).to_contain_text("Dosing cannot start yet.")
    expect(checklist.locator("#risk-assessment")).to_have_count(0)  # not the nurse's to record
    # The status is derived on read: the page offers no Start (the service refuses one too).
    expect(n.locator("#administration").get_by_role("button", name="Start")).to_have_count(0)
    expect(n.locator("#administration")).to_contain_text("pump not started")
    shot(n, "01-nurse-sees-the-flag-and-no-start")

    # ---- the prescriber signs in (password, then TOTP) and records the assessment
    p = new_page(browser)
    sign_in(p, url, prescriber.username)
    p.get_by_label("6-digit code from your authenticator app").fill(totp_code(world.totp))
    p.get_by_role("button", name="Verify").click()
    expect(p.locator(".risk-flag")).to_be_visible()
    form = p.locator("#risk-assessment")
    form.get_by_label("Clinician risk level").select_option("low")
    form.get_by_label("Plan").fill("Passive thoughts only, no plan or intent; safety plan given.")
    form.get_by_label("Proceed with today's treatment").check()
    shot(p, "03-prescriber-assesses")
    form.get_by_role("button", name="Record assessment").click()
    expect(p.locator("ul.messages")).to_contain_text("Suicide risk assessment recorded")
    expect(p.locator(".risk-flag")).to_have_count(0)
    expect(p.locator("#checklist li", has_text="Suicide risk assessed")).to_contain_text("OK")
    expect(p.locator("#checklist")).to_contain_text("Dosing may start.")
    shot(p, "04-assessed")

    # ---- the nurse reloads and starts
    n.reload()
    expect(n.locator(".risk-flag")).to_have_count(0)
    n.locator("#administration").get_by_role("button", name="Start").click()
    expect(n.locator("#administration")).to_contain_text("pump infusing")
    shot(n, "05-started")
