"""In a real browser, without JavaScript: the prescriber's home shows a critical BP alert at
once, the navigation's count links read in words ("Chair board, 2 critical alerts open"),
and a closed group opens to its links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ketaflow.conftest import PASSWORD
from ketaflow.lib.tests.browser import ARTIFACTS, chromium
from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.browser


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, java_script_enabled=False
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()


@pytest.fixture
def critical_bp(ordered: Any, nurse: Any, clinic: Any) -> Any:
    clinic.is_synthetic = True  # the demo clinic: sign-in without a second factor
    clinic.save()
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(10)
    )
    services.record_vitals(
        nurse,
        ordered,
        fresh(ordered).version,
        sbp=185,
        dbp=112,
        hr=96,
        spo2=97,
        rr=16,
        taken_at=ago(5),
    )
    return fresh(ordered)


def test_the_prescriber_sees_the_critical_alert_and_a_counted_grouped_nav(
    page: Any, live_server: Any, prescriber: Any, critical_bp: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill(prescriber.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    alerts = page.locator("#critical-alerts")
    expect(alerts).to_contain_text("BP 185/112")
    expect(alerts.get_by_role("link", name="Jane Doe: BP 185/112")).to_have_attribute(
        "href", f"/treatments/{critical_bp.pk}/#vitals"
    )
    nav = page.get_by_role("navigation", name="Main")
    expect(
        nav.get_by_role("link", name=re.compile(r"^Chair board, \d+ critical alerts? open$"))
    ).to_be_visible()
    # Every link in the navigation has a name (what axe's link-name rule asks).
    for link in nav.get_by_role("link", include_hidden=True).all():
        assert (link.text_content() or "").strip()
    # A closed group opens to its links, with no script.
    expect(nav.get_by_role("link", name="Patients", exact=True)).to_be_hidden()
    nav.locator("summary", has_text="Patients").click()
    expect(nav.get_by_role("link", name="Patients", exact=True)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "prescriber-worklist.png"), full_page=True)
