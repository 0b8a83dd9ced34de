"""A synthetic load is a job (#14): a status row with progress, queued for the worker or run
by the command through the same code, written in parts, each patient once after a retry."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from ketaflow.accounts.models import Clinic
from ketaflow.audit.models import AccessEvent
from ketaflow.patients.models import Patient
from ketaflow.synthetic import jobs
from ketaflow.synthetic.generator import SynthConfig, generate
from ketaflow.synthetic.models import SynthJob, SynthStatus
from ketaflow.synthetic.writer import synthetic_clinic
from ketaflow.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db

N = 6


@pytest.fixture
def synth_clinic(db: Any) -> Clinic:
    return synthetic_clinic("Synthetic clinic for jobs")


def _params(**extra: Any) -> dict[str, Any]:
    return {
        "patients": N,
        "seed": 5,
        "today": timezone.localdate(),
        "requested_label": "test",
        "sessions_per_patient": 4,
        "responses_per_patient": 6,
        "outcomes": False,
    } | extra


def _expected_sessions(job: SynthJob) -> int:
    config = SynthConfig(
        seed=job.seed,
        patients=job.patients,
        today=job.today,
        sessions_per_patient=job.sessions_per_patient,
        responses_per_patient=job.responses_per_patient,
        timezone=job.clinic.timezone,
        first_index=job.first_index,
    )
    return sum(len(p.course.sessions) for p in generate(config))


def test_a_queued_load_waits_for_the_commit_then_runs_as_a_task(synth_clinic: Clinic) -> None:
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        job = jobs.queue_load(synth_clinic, **_params(outcomes=True))
    assert job.status == SynthStatus.QUEUED and job.done == 0
    assert not Patient.objects.filter(clinic=synth_clinic).exists()  # nothing in the request
    assert len(queued) == 1
    queued[0]()  # the commit: the task is queued (here run at once, as the worker would)
    job.refresh_from_db()
    assert job.status == SynthStatus.DONE, job.error
    assert (job.done, job.percent, job.attempts) == (N, 100, 1)
    assert Patient.objects.filter(clinic=synth_clinic).count() == N
    assert job.counts["patients.Patient"] == N
    assert job.counts["treatments.TreatmentSession"] == _expected_sessions(job)
    assert job.outcomes.startswith("rebuilt")
    assert job.finished_at is not None and job.started_at is not None


def test_parts_write_the_same_rows_as_one_part_with_one_audit_event_each(
    synth_clinic: Clinic,
) -> None:
    other = synthetic_clinic("Synthetic clinic in one part")
    progress: list[int] = []
    parts = jobs.create_job(synth_clinic, **_params(chunk=4))
    jobs.run_job(parts.pk, progress=progress.append)
    whole = jobs.create_job(other, **_params())
    jobs.run_job(whole.pk)
    parts.refresh_from_db()
    whole.refresh_from_db()
    assert progress == [4, N]
    assert parts.counts == whole.counts
    assert sorted(Patient.objects.filter(clinic=synth_clinic).values_list("mrn", flat=True)) == (
        sorted(Patient.objects.filter(clinic=other).values_list("mrn", flat=True))
    )
    events = AccessEvent.objects.filter(clinic=synth_clinic, detail__synthetic_load=True)
    assert events.count() == 2  # one summary per committed part


def test_a_killed_attempt_is_resumed_and_every_patient_written_once(
    synth_clinic: Clinic, monkeypatch: Any
) -> None:
    job = jobs.create_job(synth_clinic, **_params(chunk=2))

    # The first attempt dies (as under kill -9) while writing its second part: that part's
    # transaction never commits; the first part stays, with `done` moved on with it.
    real_run = jobs.SynthWriter.run
    calls = 0

    class Killed(BaseException):
        pass

    def dies_in_second_part(self: Any, patients: Any, progress: Any = None) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            list(patients)
            raise Killed
        return real_run(self, patients, progress)

    monkeypatch.setattr(jobs.SynthWriter, "run", dies_in_second_part)
    with pytest.raises(Killed):
        jobs.run_job(job.pk)
    monkeypatch.setattr(jobs.SynthWriter, "run", real_run)
    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == (SynthStatus.RUNNING, 2, 1)
    assert Patient.objects.filter(clinic=synth_clinic).count() == 2

    # While its lease runs, nobody else may take it; once stale, the recovery queues it again.
    assert jobs.run_job(job.pk).attempts == 1
    assert jobs.recover_stale_jobs() == 0
    later = timezone.now() + jobs.STALE_AFTER + timedelta(minutes=1)
    SynthJob.objects.filter(pk=job.pk).update(heartbeat_at=job.heartbeat_at - jobs.STALE_AFTER * 2)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert jobs.recover_stale_jobs(now=later) == 1  # queued; run once committed
    job.refresh_from_db()
    assert (job.status, job.done, job.attempts) == (SynthStatus.DONE, N, 2), job.error
    mrns = list(Patient.objects.filter(clinic=synth_clinic).values_list("mrn", flat=True))
    assert len(mrns) == len(set(mrns)) == N
    sessions = TreatmentSession.objects.filter(clinic=synth_clinic).count()
    assert sessions == job.counts["treatments.TreatmentSession"] == _expected_sessions(job)


def test_an_attempt_that_lost_its_lease_rolls_its_part_back(synth_clinic: Clinic) -> None:
    job = jobs.create_job(synth_clinic, **_params(chunk=3))
    taken: list[int] = []

    def taken_over(done: int) -> None:
        # After the first part, another worker claims the job (this one was presumed dead).
        if not taken:
            taken.append(done)
            SynthJob.objects.filter(pk=job.pk).update(attempts=2)

    jobs.run_job(job.pk, progress=taken_over)
    job.refresh_from_db()
    assert job.status == SynthStatus.RUNNING and job.done == 3  # the second part rolled back
    assert Patient.objects.filter(clinic=synth_clinic).count() == 3


def test_one_load_at_a_time_per_clinic_and_only_into_a_synthetic_clinic(
    synth_clinic: Clinic, clinic: Clinic
) -> None:
    jobs.create_job(synth_clinic, **_params())
    with pytest.raises(ValidationError, match="already queued or running"):
        jobs.create_job(synth_clinic, **_params())
    with pytest.raises(ValidationError, match="not synthetic"):
        jobs.create_job(clinic, **_params())
    with pytest.raises(ValidationError):
        jobs.create_job(synthetic_clinic("Another"), **_params(patients=0))


def test_a_load_out_of_attempts_ends_failed(synth_clinic: Clinic) -> None:
    job = jobs.create_job(synth_clinic, **_params())
    SynthJob.objects.filter(pk=job.pk).update(
        status=SynthStatus.RUNNING, attempts=jobs.MAX_ATTEMPTS, heartbeat_at=job.created_at
    )
    assert jobs.recover_stale_jobs(now=job.created_at + timedelta(hours=1)) == 1
    job.refresh_from_db()
    assert job.status == SynthStatus.FAILED and "3 times" in job.error


def test_the_command_runs_the_job_here_or_queues_it_and_shows_progress(db: Any) -> None:
    out = StringIO()
    common = ["--patients", "3", "--clinic", "Synthetic cmd", "--sessions-per-patient", "3"]
    call_command("synth", *common, "--chunk", "2", stdout=out)
    job = SynthJob.objects.get()
    assert job.status == SynthStatus.DONE and job.requested_label == "ketaflow synth"
    assert "… 2 patients" in out.getvalue() and "… 3 patients" in out.getvalue()
    assert job.chunk == 2

    out = StringIO()
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        call_command("synth", *common, "--queue", stdout=out)
    assert "queued for `ketaflow worker`" in out.getvalue()
    later = SynthJob.objects.exclude(pk=job.pk).get()
    assert later.status == SynthStatus.QUEUED and later.first_index == 4 and len(queued) == 1

    out = StringIO()
    call_command("synth", "--status", stdout=out)
    lines = out.getvalue().splitlines()
    assert "queued" in lines[0] and "0 of 3" in lines[0]
    assert "done" in lines[1] and "3 of 3" in lines[1] and "(100%)" in lines[1]
