"""A synthetic load runs in `ketaflow worker` (not in the asking process) and, the worker
killed with kill -9 mid-way, is retried and writes every patient once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone

from ketaflow.lib.tests.worker_process import WorkerDatabase, worker_settings
from ketaflow.patients.models import Patient
from ketaflow.synthetic import jobs
from ketaflow.synthetic.generator import SynthConfig, generate
from ketaflow.synthetic.models import SynthJob, SynthStatus
from ketaflow.synthetic.writer import synthetic_clinic
from ketaflow.treatments.models import TreatmentSession

N = 40


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_load_is_retried_and_each_patient_written_once(
    tmp_path: Path,
) -> None:
    clinic = synthetic_clinic("Synthetic clinic for the kill test")
    params: dict[str, Any] = {
        "patients": N,
        "seed": 3,
        "today": timezone.localdate(),
        "requested_label": "test",
        "sessions_per_patient": 3,
        "responses_per_patient": 4,
        "outcomes": True,
        "chunk": 1,
    }
    with worker_settings(), TestCase.captureOnCommitCallbacks(execute=True):
        job = jobs.queue_load(clinic, **params)
    job.refresh_from_db()
    assert job.status == SynthStatus.QUEUED  # nothing ran in this process

    worker = WorkerDatabase(tmp_path)
    process = worker.start("--no-recover")
    worker.kill_when(
        process,
        lambda: bool(
            worker.query("SELECT 1 FROM synthetic_synthjob WHERE id = ? AND done > 0", (job.pk,))
        ),
    )
    job.refresh_from_db()
    assert job.status == SynthStatus.RUNNING and 0 < job.done < N, "killed mid-way"
    assert Patient.objects.filter(clinic=clinic).count() == job.done  # parts commit whole
    # Time passes: the dead worker's heartbeat is older than the lease.
    SynthJob.objects.filter(pk=job.pk).update(
        heartbeat_at=job.heartbeat_at - jobs.STALE_AFTER - timedelta(minutes=1)
    )
    worker.run()  # a new worker: its start-up recovery queues the load again
    job.refresh_from_db()
    assert job.status == SynthStatus.DONE, job.error
    assert (job.attempts, job.done) == (2, N)
    mrns = list(Patient.objects.filter(clinic=clinic).values_list("mrn", flat=True))
    assert len(mrns) == len(set(mrns)) == N
    config = SynthConfig(
        seed=3,
        patients=N,
        today=job.today,
        sessions_per_patient=3,
        responses_per_patient=4,
        timezone=clinic.timezone,
        first_index=1,
    )
    expected = sum(len(p.course.sessions) for p in generate(config))
    assert TreatmentSession.objects.filter(clinic=clinic).count() == expected
    assert job.counts["treatments.TreatmentSession"] == expected
    assert job.outcomes.startswith("rebuilt")
