"""axe-core (Deque, through `axe-playwright-python`) on a page open in the browser tests.

`serious_violations(page)` runs the WCAG 2 A/AA rules and best practices on what the page
shows now and returns the critical and serious findings as readable lines (rule, impact,
the first offending elements), so a failing test says what to fix.
"""

from __future__ import annotations

from typing import Any

#: The rule sets checked: WCAG 2.0/2.1/2.2 levels A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = frozenset({"critical", "serious"})


def serious_violations(page: Any) -> list[str]:
    """Critical and serious axe findings on the page, one line each ([] when clean)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING:
            continue
        targets = [" ".join(map(str, n["target"])) for n in violation["nodes"][:3]]
        lines.append(
            f"{page.url} {violation['id']} ({violation['impact']}): {violation['help']} "
            f"at {', '.join(targets)}"
        )
    return lines
