"""A critical BP typed at the chair reaches the prescriber's home page (issue #13).

The session is built with services up to a running infusion (`ordered`, then a start); the
nurse types 185/112 into the vitals form on the session page (htmx), while the prescriber
(signed in with a real TOTP code) already has his home page open. The home page does not poll
(only the chair board does, every 10 s), so the honest step for the prescriber is a reload:
after it the home shows the reading in words under "Critical alerts in session", the
navigation's count says so, and on the chair board the row is red and marked "Critical".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ketaflow.lib.tests.axe import serious_violations
from ketaflow.lib.tests.browser import ARTIFACTS, chromium
from ketaflow.treatments import services
from ketaflow.treatments.tests.browser_world import totp_code
from ketaflow.treatments.tests.conftest import ago, fresh
from ketaflow.treatments.tests.test_browser_session_end_to_end import new_page, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, live_server: Any) -> Iterator[Any]:
    with chromium(monkeypatch) as browser:
        yield browser


@pytest.fixture
def infusing(ordered: Any, nurse: Any) -> Any:
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(10)
    )
    return fresh(ordered)


def test_a_critical_bp_typed_at_the_chair_reaches_the_prescribers_home_and_the_board(
    browser: Any, live_server: Any, nurse: Any, prescriber: Any, infusing: Any
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    base = live_server.url
    device = TOTPDevice.objects.create(user=prescriber, name="Authenticator app", confirmed=True)

    # ---- the prescriber's home is open, nothing critical yet
    p = new_page(browser)
    sign_in(p, f"{base}/", prescriber.username)
    p.get_by_label("6-digit code from your authenticator app").fill(totp_code(device))
    p.get_by_role("button", name="Verify").click()
    alerts = p.locator("#critical-alerts")
    expect(alerts).to_contain_text("No critical alert is open.")
    nav = p.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile("critical alerts? open"))).to_have_count(0)

    # ---- the nurse types the reading into the vitals form during the infusion
    n = new_page(browser)
    sign_in(n, f"{base}/treatments/{infusing.pk}/", nurse.username)
    expect(n.locator("#administration")).to_contain_text("pump infusing")
    vitals = n.locator("#vitals")
    for label, value in zip(
        ("systolic", "diastolic", "heart rate", "SpO2", "respiratory rate"),
        ("185", "112", "96", "97", "16"),
        strict=True,
    ):
        vitals.get_by_label(label, exact=True).fill(value)
    with n.expect_response(lambda r: "/do/vitals/" in r.url):
        vitals.get_by_role("button", name=re.compile("Record")).click()
    newest = n.locator("#vitals tbody tr").first
    expect(newest).to_contain_text("185/112")
    expect(newest.locator(".alert-red", has_text="Systolic 185")).to_contain_text("critical")

    # ---- the home page does not poll: the prescriber reloads and sees it, in words
    p.reload()
    alerts = p.locator("#critical-alerts")
    expect(alerts).to_have_class(re.compile(r"\bis-urgent\b"))
    item = alerts.get_by_role(
        "link",
        name=re.compile(
            r"^Chair 1 · Jane Doe: BP 185\/112, heart rate 96, SpO2 97 %, breathing 16\/min at "
            r"\d\d:\d\d$"
        ),
    )
    expect(item).to_have_attribute("href", f"/treatments/{infusing.pk}/#vitals")
    expect(alerts.locator(".worklist-count")).to_have_text("(1)")
    expect(alerts.locator(".worklist-note")).to_contain_text("Systolic 185")
    expect(alerts.locator(".worklist-note")).to_contain_text("Diastolic 112")
    count = nav.get_by_role("link", name="Chair board, 1 critical alert open")
    expect(count).to_be_visible()
    expect(count.locator(".nav-count.is-urgent")).to_have_text("1")
    assert not serious_violations(p)
    ARTIFACTS.mkdir(exist_ok=True)
    p.screenshot(path=str(ARTIFACTS / "critical-bp-prescriber-home.png"), full_page=True)

    # ---- the chair board: the row is red and says "Critical"
    count.click()
    expect(p.get_by_role("heading", name="Chair board")).to_be_visible()
    row = p.locator("#board tr", has_text="Chair 1")
    expect(row).to_have_class(re.compile(r"\bboard-row-critical\b"))
    expect(row.locator(".board-marker-critical")).to_have_text("Critical")
    expect(row).to_contain_text("185/112")
    background = row.evaluate("r => getComputedStyle(r.cells[0]).backgroundColor")
    red, green, blue = (int(c) for c in re.findall(r"\d+", background)[:3])
    assert red > green and red > blue, f"the critical row is not red: {background}"
    assert not serious_violations(p)
    p.screenshot(path=str(ARTIFACTS / "critical-bp-board.png"), full_page=True)
