"""The patient list's queries do not grow with the page's rows (#14): 50 rows cost what 5 do."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaflow.ops import freshness
from ketaflow.patients.models import Patient

pytestmark = pytest.mark.django_db

#: The whole list page (navigation and its counts included) at any page size.
CEILING = 14  # measured: 14 on SQLite, where the audit row of the read costs 4 (chain),
# with 2 change-stamp reads (the results' and the navigation counts' memo, `ops.freshness`)


def _register(clinic: Any, front_desk: Any, numbers: range) -> None:
    Patient.objects.bulk_create(
        Patient(
            clinic=clinic, mrn=f"KF-2{n:05d}", given_name=f"Row{n}", family_name="Listed",
            date_of_birth=date(1980, 1, 1 + n % 28), sex_at_birth="female",
            can_become_pregnant=False, created_by=front_desk,
        )
        for n in numbers
    )  # fmt: skip


def _list_queries(client: Any) -> tuple[int, str]:
    """The queries of drawing the whole page (nothing reused from an earlier read)."""
    freshness.forget()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("patients:list"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_patient_list_costs_the_same_queries_for_5_and_for_50_rows(
    client: Any, login: Any, clinic: Any, front_desk: Any, nurse: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    login(client, nurse)
    client.get(reverse("web:home"))  # the first page after sign-in starts the idle clock
    _register(clinic, front_desk, range(5))
    five, html = _list_queries(client)
    assert html.count("Listed") >= 5
    _register(clinic, front_desk, range(5, 50))
    with django_assert_max_num_queries(CEILING):
        fifty, html = _list_queries(client)
    assert html.count("Listed") >= 50
    assert fifty == five, (five, fifty)
