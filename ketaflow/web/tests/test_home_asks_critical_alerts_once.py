"""The prescriber's home lists the open critical alerts and the navigation counts them: one
request derives them once (review finding on issue #13), not once for each."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketaflow.web.tests.test_worklists import _count_of, _section, critical_bp  # noqa: F401

pytestmark = pytest.mark.django_db


def _dosed_session_loads(queries: CaptureQueriesContext) -> int:
    """How many times the request loaded the dosed, unsigned sessions with their chairs (the
    first step of deriving the open critical alerts)."""
    return sum(
        1
        for q in queries.captured_queries
        if 'FROM "treatments_treatmentsession"' in q["sql"]
        and '"courses_chair"' in q["sql"]
        and '"treatments_treatmentsession"."status" IN' in q["sql"]
    )


def test_the_prescribers_home_derives_the_critical_alerts_once(
    client: Any,
    login: Any,
    prescriber: Any,
    critical_bp: Any,  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    login(client, prescriber)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert _dosed_session_loads(queries) == 1
    # Both still say it: the list has the reading, the navigation counts it.
    assert len(_section(response.context["sections"], "critical-alerts").items) == 1
    assert _count_of(client, "Chair board") == 1
    # 44 while the navigation derived them a second time (six queries: the sessions and
    # their rows, one per table).
    # 38 before the audit hash chain; on SQLite each of the home's 7 audited lists now costs
    # four queries instead of one (savepoint, the chain's last hash, insert, release).
    # 64 with the take-home sections (dispensing): early refills, PDMP due, stock gaps;
    # 69 with the alerts from home (homediary) and the navigation's "Controlled stock".
    with django_assert_max_num_queries(69):
        client.get("/")


def test_the_count_alone_still_derives_them_on_any_other_page(
    prescriber: Any,
    critical_bp: Any,  # noqa: F811
) -> None:
    """Without the home's list on the request (every other page), the count asks itself."""
    from django.test import RequestFactory

    from ketaflow.web.worklists import nav_counts, sections

    request = RequestFactory().get("/patients/")
    assert nav_counts(prescriber, request=request)["critical"] == 1
    assert nav_counts(prescriber)["critical"] == 1
    # And a second request does not see the first one's memo.
    home = RequestFactory().get("/")
    assert len(_section(sections(prescriber, request=home), "critical-alerts").items) == 1
    assert nav_counts(prescriber, request=home)["critical"] == 1
