"""A patient fills a GAD-7 and a PHQ-9 on a phone through their link, in a real browser.

Playwright (sync API) drives Debian's Chromium against pytest-django's live server, at a
phone-sized viewport (390 x 844). Without Chromium the test is skipped, unless
KETAFLOW_REQUIRE_BROWSER=1 (CI) makes that a failure. Screenshots go to test-artifacts/portal/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ketaflow.lib.tests.browser import ARTIFACTS as BROWSER_ARTIFACTS
from ketaflow.lib.tests.browser import chromium

ARTIFACTS = BROWSER_ARTIFACTS / "portal"
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()


def test_a_patient_fills_gad7_and_phq9_on_a_phone_and_an_item_9_answer_shows_help(
    phone: Any, live_server: Any, nurse: Any, prescriber: Any, patient: Any
) -> None:
    from playwright.sync_api import expect

    from ketaflow.portal.services import issue_link
    from ketaflow.questionnaires.models import InstrumentResponse, RiskAlert

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = phone
    shot = lambda name: page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # noqa: E731
    issued = issue_link(nurse, patient, base_url=live_server.url, instruments=("gad7", "phq9"))

    # The link opens without any sign-in and lists the two forms.
    page.goto(issued.url)
    expect(page.get_by_role("heading", name="Hello Jane")).to_be_visible()
    shot("01-home")
    page.get_by_role("link", name="Fill in the GAD-7").click()
    expect(page.get_by_role("heading", name="GAD-7")).to_be_visible()

    # Answer every question but the third: refused, question 3 named, answers kept.
    for number, value in enumerate([1, 1, 1, 1, 0, 1, 2], start=1):
        if number != 3:
            page.locator(f'input[name="item_{number}"][value="{value}"]').check()
    page.get_by_role("button", name="Send my answers").click()
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("Please answer question 3")
    expect(problem).to_contain_text("Worrying too much about different things")
    expect(page.locator('input[name="item_7"][value="2"]')).to_be_checked()
    expect(page.locator('input[name="item_1"][value="1"]')).to_be_checked()
    shot("02-gad7-missing-item")
    assert InstrumentResponse.objects.count() == 0

    # Answer it: accepted, scored by the core.
    page.locator('input[name="item_3"][value="1"]').check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    shot("03-gad7-sent")
    gad7 = InstrumentResponse.objects.get(instrument="gad7")
    assert (gad7.total, gad7.severity) == (7, "mild")

    # PHQ-9 with item 9 above 0: the crisis resources appear at once and the alert is raised.
    page.get_by_role("link", name="Fill in the PHQ-9").click()
    for number, value in enumerate([2, 2, 2, 2, 1, 1, 2, 0, 1], start=1):
        page.locator(f'input[name="item_{number}"][value="{value}"]').check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you for telling us")).to_be_visible()
    crisis = page.locator("#crisis")
    expect(crisis).to_contain_text("If you feel unsafe or might harm yourself")
    expect(crisis).to_contain_text("emergency number")
    shot("04-phq9-item9-crisis-help")
    alert = RiskAlert.objects.get()
    assert alert.patient == patient and alert.is_open
    assert alert.response.answers[8] == 1

    # Nothing left to fill in.
    page.get_by_role("link", name="Back to your forms").click()
    expect(page.get_by_text("Nothing to fill in right now")).to_be_visible()
    shot("05-home-done")
