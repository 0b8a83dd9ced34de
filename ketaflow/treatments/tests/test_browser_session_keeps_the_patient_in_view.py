"""The session page opens at the top with the patient banner in view, and the banner stays.

Issue #13: the page used to jump ~1,200 px down to the SBP box on load (autofocus), hiding
the patient's name and the checklist's "blocks the start" lines. In Chromium at tablet size:
after load the window has not scrolled and the banner (the patient's name) is in view; after
scrolling down to the vitals the banner is still in view (sticky), with the allergy line.
A screenshot goes to test-artifacts/banner/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ketaflow.lib.tests.browser import ARTIFACTS, chromium
from ketaflow.treatments.tests.browser_world import World, build_world
from ketaflow.treatments.tests.test_browser_session_end_to_end import sign_in

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "banner"


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, live_server: Any) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        yield browser


@pytest.fixture
def world(clinic_admin: Any, nurse: Any, prescriber: Any, patient: Any) -> World:
    return build_world(
        clinic_admin=clinic_admin, nurse=nurse, prescriber=prescriber, patient=patient
    )


def test_the_session_page_opens_with_the_patient_in_view(
    browser: Any, live_server: Any, world: World, nurse: Any
) -> None:
    from playwright.sync_api import expect

    from ketaflow.treatments import services

    session = services.check_in(nurse, world.appointment)
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.set_default_timeout(15_000)
    sign_in(page, f"{live_server.url}/treatments/{session.pk}/", nurse.username)
    page.wait_for_load_state("load")
    banner = page.locator(".patient-banner")
    name = f"{world.patient.family_name}, {world.patient.given_name}"
    expect(banner).to_contain_text(name)
    assert page.evaluate("window.scrollY") < 50
    expect(page.locator("#vitals").get_by_label("systolic", exact=True)).not_to_be_focused()
    expect(banner.get_by_text(name)).to_be_in_viewport()

    # Down at the vitals, the banner is still at the top of the window.
    page.locator("#vitals").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 300
    expect(banner.get_by_text(name)).to_be_in_viewport()
    expect(banner).to_contain_text("Allergies")
    top = page.evaluate("document.querySelector('.patient-banner').getBoundingClientRect().top")
    assert 0 <= top < 5
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "session-scrolled-to-vitals.png"))
