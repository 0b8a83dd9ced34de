"""Writing synthetic histories: valid rows, one summary audit event, outcomes rebuilt.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL with DATABASE_URL):
the PostgreSQL path uses COPY.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from ketaflow.accounts.models import Clinic
from ketaflow.audit.models import AccessEvent
from ketaflow.clinical import administration as adm
from ketaflow.courses.models import Appointment, Course
from ketaflow.demo.history import seed_outcome_history
from ketaflow.patients.models import Patient
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.synthetic.load import load
from ketaflow.synthetic.writer import synthetic_clinic
from ketaflow.treatments import derive
from ketaflow.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def synth(db: Any) -> tuple[Clinic, Any]:
    clinic = synthetic_clinic("Synthetic clinic for tests")
    result = load(clinic, patients=25, seed=11, today=timezone.localdate())
    return clinic, result


def test_the_rows_are_written_and_counted(synth: tuple[Clinic, Any]) -> None:
    clinic, result = synth
    counts = result.stats.counts
    assert Patient.objects.filter(clinic=clinic).count() == counts["patients.Patient"] == 25
    sessions = TreatmentSession.objects.filter(clinic=clinic)
    assert sessions.count() == counts["treatments.TreatmentSession"] > 50
    assert (
        InstrumentResponse.objects.filter(patient__clinic=clinic).count()
        == counts["questionnaires.InstrumentResponse"]
    )
    assert all(p.is_synthetic for p in Patient.objects.filter(clinic=clinic))
    assert clinic.is_synthetic


def test_sessions_are_valid_signed_records_as_the_app_derives_them(
    synth: tuple[Clinic, Any],
) -> None:
    clinic, _ = synth
    for s in TreatmentSession.objects.filter(clinic=clinic).select_related("patient__clinic"):
        assert s.status == "signed" and s.signed_at is not None
        record = derive.record_of(s)
        order = derive.confirmed_order(s)
        assert order is not None
        assert adm.delivered_mg(record, record.last_event_at) == pytest.approx(
            order.dose_mg, abs=0.06
        )
        assert derive.open_alerts_to_sign(s) == []
        assert s.appointment.status == "completed"
        assert s.signed_at < timezone.now()


def test_times_are_back_dated_not_now(synth: tuple[Clinic, Any]) -> None:
    clinic, _ = synth
    cutoff = timezone.now() - timedelta(days=1)
    assert not Appointment.objects.filter(chair__clinic=clinic, starts_at__gte=cutoff).exists()
    first = Patient.objects.filter(clinic=clinic).order_by("created_at").first()
    assert first is not None and first.created_at < cutoff


def test_scores_are_the_cores_and_pre_session_scales_point_at_their_session(
    synth: tuple[Clinic, Any],
) -> None:
    from ketaflow.clinical.instruments import get_item_instrument

    clinic, _ = synth
    for r in InstrumentResponse.objects.filter(patient__clinic=clinic)[:200]:
        assert r.total == get_item_instrument(r.instrument).score(r.answers).total
        if r.context == "pre_session":
            sid = int(r.context_ref.split(":")[1])
            assert TreatmentSession.objects.get(pk=sid).patient_id == r.patient_id


def test_one_summary_audit_event_per_run(synth: tuple[Clinic, Any]) -> None:
    clinic, _ = synth
    events = AccessEvent.objects.filter(clinic=clinic)
    assert events.count() == 1
    event = events.get()
    assert event.channel == "cli" and event.detail["synthetic_load"] is True
    assert event.detail["counts"]["patients.Patient"] == 25


def test_patients_and_courses_have_their_created_history(synth: tuple[Clinic, Any]) -> None:
    clinic, _ = synth
    patient = Patient.objects.filter(clinic=clinic).first()
    assert patient is not None
    assert patient.history.filter(history_type="+").count() == 1
    course = Course.objects.filter(patient=patient).get()
    assert course.history.count() == 1


def test_a_second_run_adds_new_patients_and_new_ids_work(synth: tuple[Clinic, Any]) -> None:
    clinic, _ = synth
    load(clinic, patients=3, seed=11, today=timezone.localdate(), first_index=26)
    assert Patient.objects.filter(clinic=clinic).count() == 28
    # the id sequences moved past the bulk-written rows: an ordinary save still works
    p = Patient.objects.create(
        clinic=clinic,
        mrn="X-1",
        given_name="A",
        family_name="B",
        date_of_birth="1990-01-01",
        sex_at_birth="female",
        is_synthetic=True,
    )
    assert p.pk > max(Patient.objects.exclude(pk=p.pk).values_list("pk", flat=True))


def test_the_outcome_summaries_are_rebuilt_when_the_outcomes_app_offers_it(
    synth: tuple[Clinic, Any],
) -> None:
    clinic, result = synth
    assert not result.outcomes.startswith("skipped"), result.outcomes
    from ketaflow.outcomes.models import CourseOutcome

    assert CourseOutcome.objects.filter(clinic_id=clinic.pk).count() == 25


def test_the_command_prints_counts_and_time(db: Any) -> None:
    out = StringIO()
    call_command("synth", "--patients", "4", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "Synthetic clinic N=4 (seed 3)" in text
    assert "treatments.TreatmentSession" in text and "total" in text
    assert Clinic.objects.get(name="Synthetic clinic N=4 (seed 3)").is_synthetic


def test_the_command_refuses_a_real_clinic(db: Any) -> None:
    from django.core.management.base import CommandError

    Clinic.objects.create(name="Real", slug="real", is_synthetic=False)
    with pytest.raises(CommandError):
        call_command("synth", "--patients", "2", "--clinic", "Real", stdout=StringIO())


def test_the_demo_history_is_added_once(db: Any) -> None:
    clinic = Clinic.objects.create(name="Demo", slug="demo", is_synthetic=True)
    created = seed_outcome_history(clinic, patients=8, seed=2026)
    assert created and "8 synthetic patients" in created[0]
    assert seed_outcome_history(clinic, patients=8, seed=2026) == []
    assert Patient.objects.filter(clinic=clinic).count() == 8
    courses = Course.objects.filter(patient__clinic=clinic)
    assert all(c.phase == "ended" for c in courses)  # completed history, nothing left running
    start = timezone.localdate() - timedelta(days=19 * 31)
    assert all(start <= c.started_on for c in courses)


def test_the_demo_refuses_a_real_clinic(db: Any) -> None:
    clinic = Clinic.objects.create(name="Real", slug="real", is_synthetic=False)
    with pytest.raises(RuntimeError):
        seed_outcome_history(clinic)
