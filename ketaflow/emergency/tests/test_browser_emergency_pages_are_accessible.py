"""In Chromium: a designated nurse breaks the glass through the real form and reads the
emergency view (the red banner), and the patient's clinic admin opens the review page; axe
finds nothing critical or serious on any of them and the CSP refuses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ketaflow.conftest import PASSWORD
from ketaflow.lib.tests.axe import serious_violations
from ketaflow.lib.tests.browser import chromium


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            context.close()


def _sign_in(page: Any, url: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def test_break_the_glass_read_and_review_in_the_browser(
    page: Any, live_server: Any, clinic: Any, sister_nurse: Any, clinic_admin: Any, patient: Any
) -> None:
    clinic.is_synthetic = True  # the admin signs in without a second factor
    clinic.save()
    found: list[str] = []
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _sign_in(page, live_server.url, sister_nurse.username)
    page.goto(f"{live_server.url}/emergency/")
    found += serious_violations(page)
    page.get_by_label("The patient's clinic").select_option(label="Riverside Clinic")
    page.get_by_label("Date of birth").fill("1985-04-12")
    page.get_by_label("MRN").fill("KF-000001")
    page.get_by_label("What is the emergency").select_option("acute")
    page.get_by_label("Why you need this record now").fill(
        "Collapsed in our waiting room, needs her allergies"
    )
    page.get_by_role("button", name="Break the glass").click()
    page.wait_for_load_state("networkidle")
    assert "60 minutes left" in page.locator(".emergency-banner").inner_text()
    assert "Jane Doe" in page.content()
    found += serious_violations(page)
    _sign_in(page, live_server.url, clinic_admin.username)
    page.goto(f"{live_server.url}/emergency/reviews/")
    assert "Lara Lake, RN" in page.content()
    found += serious_violations(page)
    assert not refused, "\n".join(refused)
    assert not found, "\n".join(found)
