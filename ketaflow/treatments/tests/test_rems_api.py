"""The REMS-style record over the API: the same record, PDF, due list and write as the pages.

(Who may call each endpoint is in `test_api_matrix.py`.)
"""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.audit.models import AccessEvent
from ketaflow.lib.tests.api_client import call
from ketaflow.treatments.models import RemsSubmission
from ketaflow.treatments.tests.test_rems_world import (
    esketamine_checked_in,
    esketamine_course,
    esketamine_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(
    gates_open: None, nurse: Any, prescriber: Any, patient: Any, protocols: Any, chair: Any
) -> Any:
    course = esketamine_course(prescriber, patient, protocols)
    return esketamine_session(
        nurse, prescriber, esketamine_checked_in(nurse, course, chair, prescriber)
    )


def test_the_record_as_json_matches_the_page_and_is_audited(
    client: Any, login: Any, nurse: Any, signed: Any
) -> None:
    login(client, nurse)
    r = call(client, "GET", f"/treatments/{signed.pk}/rems")
    assert r.status_code == 200
    body = r.json()
    assert body["session_pk"] == signed.pk and body["draft"] is False
    assert body["dose_mg"] == 56 and body["devices"] == 2
    assert body["meets_minimum_monitoring"] is True
    assert "not the official SPRAVATO REMS" in body["not_official"]
    assert len(body["vitals"]) == 3 and all(v["label"] for v in body["vitals"])
    export = AccessEvent.objects.filter(action="export", object_id=str(signed.pk)).last()
    assert export is not None and export.detail["format"] == "json"


def test_the_pdf_downloads(client: Any, login: Any, nurse: Any, signed: Any) -> None:
    login(client, nurse)
    r = call(client, "GET", f"/treatments/{signed.pk}/rems.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert "rems-monitoring-" in r["Content-Disposition"]


def test_marking_submitted_takes_it_off_the_due_list(
    client: Any, login: Any, nurse: Any, signed: Any
) -> None:
    login(client, nurse)
    due = call(client, "GET", "/treatments/rems/due").json()
    assert [row["session_id"] for row in due["due"]] == [signed.pk]
    r = call(client, "POST", f"/treatments/{signed.pk}/rems/submitted", {"reference": "R-42"})
    assert r.status_code == 201 and r.json()["reference"] == "R-42"
    assert RemsSubmission.objects.get().submitted_by == nurse
    assert call(client, "GET", "/treatments/rems/due").json() == {"due": [], "overdue": []}
    again = call(client, "POST", f"/treatments/{signed.pk}/rems/submitted", {})
    assert again.status_code == 422
    assert "already marked submitted" in again.json()["detail"][0]["msg"]


def test_an_iv_session_has_no_rems_record(
    client: Any, login: Any, nurse: Any, checked_in: Any
) -> None:
    login(client, nurse)
    r = call(client, "GET", f"/treatments/{checked_in.pk}/rems")
    assert r.status_code == 404
    assert "esketamine nasal spray only" in r.json()["detail"][0]["msg"]
