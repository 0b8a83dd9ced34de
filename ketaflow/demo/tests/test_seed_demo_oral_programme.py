"""`ketaflow seed-demo`, the oral programme (issue #16): one patient titrated 50, 75, 100 mg
in three signed supervised sessions, a witnessed take-home supply and two diary entries, the
second on the nurse's home-dose worklist; the diary link is printed once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from ketaflow.accounts.models import User
from ketaflow.courses.models import Course
from ketaflow.demo.clinic import ORAL_PATIENT
from ketaflow.demo.oral import ORAL_MRN, ORAL_PROTOCOL, oral_days
from ketaflow.dispensing.models import PdmpCheck, StockReceipt, Supply, TakeHomeAuthorisation
from ketaflow.homediary.models import DiaryEntry
from ketaflow.lib.clock import local
from ketaflow.treatments.models import DoseOrder, TreatmentSession
from ketaflow.web.worklists import sections

pytestmark = pytest.mark.django_db

# A Saturday night: the sessions fall on the weekdays before (the clinic shuts at weekends).
SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)


def seed() -> str:
    out = StringIO()
    call_command("seed-demo", "--no-history", stdout=out)
    return out.getvalue()


def test_the_oral_course_has_three_signed_titrated_sessions_a_supply_and_a_diary(
    clock: Any,
) -> None:
    clock(SATURDAY_NIGHT)
    out = seed()
    assert ORAL_PATIENT.mrn == ORAL_MRN
    course = Course.objects.get(patient__mrn=ORAL_MRN)
    assert course.protocol_version.code == ORAL_PROTOCOL
    sessions = list(TreatmentSession.objects.filter(course=course).order_by("session_number"))
    assert [s.status for s in sessions] == ["signed"] * 3
    orders = [DoseOrder.objects.get(session=s) for s in sessions]
    assert [o.dose_mg for o in orders] == [50, 75, 100]
    days = [local(s.appointment.starts_at, course.patient.clinic).date() for s in sessions]
    # Supply Sun 22 Nov; sessions on the open weekdays 3+ days apart before it.
    assert days == [date(2026, 11, 13), date(2026, 11, 17), date(2026, 11, 20)]
    assert oral_days(course.patient.clinic, SATURDAY_NIGHT.date()).dispensed == date(2026, 11, 22)

    receipt = StockReceipt.objects.get(clinic=course.patient.clinic)
    assert receipt.witnessed_by is not None and receipt.witnessed_by != receipt.received_by
    assert PdmpCheck.objects.filter(patient=course.patient).count() == 1
    auth = TakeHomeAuthorisation.objects.get(course=course)
    assert auth.warning_acknowledged and auth.reason and auth.supervised_doses == 3
    supply = Supply.objects.get(authorisation=auth)
    assert supply.witnessed_by is not None and supply.witnessed_by != supply.dispensed_by
    assert supply.storage_acknowledged and supply.no_driving_acknowledged

    entries = list(DiaryEntry.objects.filter(patient=course.patient).order_by("taken_at"))
    assert len(entries) == 2
    assert entries[0].side_effects == [] and entries[1].worst_severity == "moderate"
    assert all(e.supply_id is not None and e.link_id is not None for e in entries)
    nurse = User.objects.get(username="nurse")
    home_doses = next(s for s in sections(nurse) if s.key == "home-doses")
    assert home_doses.total == 2  # neither acknowledged yet
    diary = f"/homediary/patients/{course.patient.pk}/#entry-"
    assert {i.url for i in home_doses.items} == {f"{diary}{e.pk}" for e in entries}

    assert f"Patient home diary link for {ORAL_MRN}" in out
    assert "/diary/" in out.split(f"Patient home diary link for {ORAL_MRN}")[1].splitlines()[0]


def test_a_second_run_adds_nothing_to_the_oral_programme(clock: Any) -> None:
    clock(SATURDAY_NIGHT)
    seed()
    before = (TreatmentSession.objects.count(), Supply.objects.count(), DiaryEntry.objects.count())
    out = seed()
    after = (TreatmentSession.objects.count(), Supply.objects.count(), DiaryEntry.objects.count())
    assert before == after
    assert "home diary link" not in out


def test_a_demo_database_seeded_before_the_oral_programme_is_left_without_it(
    clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its set-up (consent document) is dated at that seed: the story cannot follow it."""
    from ketaflow.demo import oral

    clock(SATURDAY_NIGHT)
    with monkeypatch.context() as before:
        before.setattr(oral, "set_up_first", lambda *a, **kw: None)
        before.setattr(oral, "seed_oral", lambda *a, **kw: None)
        seed()
    out = seed()
    assert f"no oral programme ({ORAL_MRN})" in out
    assert not Course.objects.filter(patient__mrn=ORAL_MRN).exists()
