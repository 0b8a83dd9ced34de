"""The session page's queries do not grow with the session's record (#14, "query counts that
do not grow with the data"): a long infusion with 50 readings costs what one with 5 costs."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaflow.treatments import services
from ketaflow.treatments.tests.conftest import ago, fresh

pytestmark = pytest.mark.django_db

#: The whole session page (patient banner, navigation counts, checklist, order, PK chart,
#: vitals, scales, events), whatever the length of its record.
CEILING = 37  # measured: 37 (the page's and the counts' change-stamp reads, `ops.freshness`)


def _readings(nurse: Any, session: Any, minutes: range) -> None:
    for m in minutes:
        services.record_vitals(
            nurse, session, fresh(session).version, sbp=128, dbp=80, hr=72, spo2=98, rr=14,
            taken_at=ago(m),
        )  # fmt: skip


def _page_queries(client: Any, session: Any) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("treatments:session", args=[session.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_session_page_costs_the_same_queries_with_5_and_with_50_readings(
    client: Any, login: Any, nurse: Any, ordered: Any, django_assert_max_num_queries: Any
) -> None:
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(100)
    )
    login(client, nurse)
    client.get(reverse("web:home"))  # the first page after sign-in starts the idle clock
    _readings(nurse, ordered, range(99, 94, -1))
    five, html = _page_queries(client, ordered)
    assert html.count("128/80") >= 5
    _readings(nurse, ordered, range(94, 49, -1))
    with django_assert_max_num_queries(CEILING):
        fifty, html = _page_queries(client, ordered)
    assert html.count("128/80") >= 50  # every reading is still drawn
    assert fifty == five, (five, fifty)


def _lines(nurse: Any, session: Any, n: int) -> None:
    """n notes and n rescue medications, each naming the nurse who recorded it."""
    for i in range(n):
        services.add_note(nurse, session, fresh(session).version, f"note {i}")
        services.record_rescue(
            nurse, session, fresh(session).version, drug="ondansetron", dose="4 mg", route="IV"
        )


def test_the_session_page_costs_the_same_queries_with_1_and_with_6_notes_and_rescues(
    client: Any, login: Any, nurse: Any, ordered: Any, django_assert_max_num_queries: Any
) -> None:
    """Each line names who recorded it: the names come with the lines, not one query each."""
    services.record_administration(
        nurse, ordered, fresh(ordered).version, kind="start", rate_ml_per_h=52.5, at=ago(30)
    )
    login(client, nurse)
    client.get(reverse("web:home"))  # the first page after sign-in starts the idle clock
    _lines(nurse, ordered, 1)
    one, html = _page_queries(client, ordered)
    assert html.count("ondansetron") >= 1
    _lines(nurse, ordered, 5)
    with django_assert_max_num_queries(CEILING):
        six, html = _page_queries(client, ordered)
    assert html.count("ondansetron") >= 6 and html.count("note 0") == 2
    assert six == one, (one, six)
