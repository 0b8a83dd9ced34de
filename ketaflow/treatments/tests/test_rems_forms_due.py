"""The REMS forms-due list: signed esketamine sessions until the official form is marked sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.treatments import rems
from ketaflow.treatments.models import RemsSubmission
from ketaflow.treatments.tests.test_rems_world import (
    esketamine_checked_in,
    esketamine_course,
    esketamine_session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def esk(
    gates_open: None, nurse: Any, prescriber: Any, patient: Any, protocols: Any, chair: Any
) -> Any:
    return esketamine_checked_in(
        nurse, esketamine_course(prescriber, patient, protocols), chair, prescriber
    )


def test_a_signed_session_is_due_until_marked_submitted_with_who_and_when(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    session = esketamine_session(nurse, prescriber, esk)
    due, overdue = rems.forms_due(nurse)
    assert [r.session.pk for r in due] == [session.pk] and overdue == []
    assert due[0].submit_by == due[0].session_date + timedelta(days=7)
    row = rems.mark_submitted(nurse, session.pk, reference="  REMS-123 ")
    assert row.submitted_by == nurse and row.reference == "REMS-123"
    assert row.submitted_at is not None
    assert rems.forms_due(nurse) == ([], [])
    assert "Nina, RN at" in rems.assemble(session).submitted
    assert AccessEvent.objects.filter(
        action="create", object_type="treatments.RemsSubmission", actor=nurse
    ).exists()


def test_an_unsigned_dosed_session_is_due_but_cannot_be_marked_until_signed(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    """The REMS form is owed for every outpatient session, signed or not (S3)."""
    session = esketamine_session(nurse, prescriber, esk, sign=False)
    due, overdue = rems.forms_due(nurse)
    assert [r.session.pk for r in due] == [session.pk] and overdue == []
    assert not due[0].signed
    with pytest.raises(ValidationError, match="Sign the session"):
        rems.mark_submitted(nurse, session.pk)


def test_a_session_with_no_esketamine_given_is_not_due(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    esketamine_session(nurse, prescriber, esk, dose=False)
    assert rems.forms_due(nurse) == ([], [])


def test_each_row_says_due_in_n_days_or_overdue_counted_from_the_session_day(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    esketamine_session(nurse, prescriber, esk)
    labels = []
    for days in (0, 6, 7, 8, 10):
        due, overdue = rems.forms_due(nurse, now=timezone.now() + timedelta(days=days))
        labels.append([r.label for r in due + overdue])
    assert labels == [
        ["due in 7 days"],
        ["due in 1 day"],
        ["due today"],
        ["overdue by 1 day"],
        ["overdue by 3 days"],
    ]


def test_the_list_page_and_the_api_show_due_in_n_days(
    client: Any, login: Any, esk: Any, nurse: Any, prescriber: Any
) -> None:
    from ketaflow.lib.tests.api_client import call

    session = esketamine_session(nurse, prescriber, esk, sign=False)
    c = login(client, nurse)
    page = c.get(reverse("treatments:rems_due")).content.decode()
    assert "due in 7 days" in page and "not signed yet" in page
    row = call(client, "GET", "/treatments/rems/due").json()["due"][0]
    assert row["session_id"] == session.pk and row["label"] == "due in 7 days"
    assert row["signed"] is False and row["days_left"] == 7


def test_a_form_is_marked_submitted_once(esk: Any, nurse: Any, prescriber: Any) -> None:
    session = esketamine_session(nurse, prescriber, esk)
    rems.mark_submitted(nurse, session.pk)
    with pytest.raises(ValidationError, match="already marked"):
        rems.mark_submitted(prescriber, session.pk)
    assert RemsSubmission.objects.count() == 1


def test_a_form_past_its_seven_days_stays_on_the_list_as_overdue(
    esk: Any, nurse: Any, prescriber: Any
) -> None:
    session = esketamine_session(nurse, prescriber, esk)
    later = timezone.now() + timedelta(days=9)
    due, overdue = rems.forms_due(nurse, now=later)
    assert due == [] and [r.session.pk for r in overdue] == [session.pk]


def test_the_list_page_marks_a_form_submitted_and_it_drops_off(
    client: Any, login: Any, esk: Any, nurse: Any, prescriber: Any
) -> None:
    session = esketamine_session(nurse, prescriber, esk)
    c = login(client, nurse)
    page = c.get(reverse("treatments:rems_due")).content.decode()
    assert "Jane Doe" in page and reverse("treatments:rems_pdf", args=[session.pk]) in page
    r = c.post(reverse("treatments:rems_submitted", args=[session.pk]), {"reference": "F-9"})
    assert r.status_code == 302 and r["Location"] == reverse("treatments:rems_due")
    assert "Jane Doe" not in c.get(reverse("treatments:rems_due")).content.decode()
    html = c.get(reverse("treatments:rems_form", args=[session.pk])).content.decode()
    assert "marked submitted by Nina, RN" in html and "F-9" in html


def test_an_iv_session_cannot_be_marked(nurse: Any, ready: Any) -> None:
    with pytest.raises(rems.NotApplicable):
        rems.mark_submitted(nurse, ready.pk)
