"""A synthetic load as a background job (Django Tasks): queued, claimed, written in parts.

`create_job` records what to generate (a `SynthJob` row); `queue_load` also queues it for
`ketaflow worker` once committed; `run_job` does the work, and is what the task, the
`ketaflow synth` command (synchronously) and `load.load` (the demo, the benchmark) all run,
so there is one path.

Idempotent under kill -9: the job is claimed with a conditional UPDATE (queued → running,
counting the attempt, as the FHIR export jobs are) and written in parts of `chunk` patients;
each part is one transaction that writes its rows AND moves `done` on, conditional on the
attempt. A worker killed mid-part loses that part whole (rolled back); the retry (queued again
by `recover_stale_jobs` once the heartbeat is older than `STALE_AFTER`) regenerates the
patients already written without writing them (the generator is deterministic, and replaying
them gives the chairs the same bookings) and goes on from `done`. Every patient is written
once; an attempt presumed dead that wakes up finds its update refused and rolls its part back.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task

from ketaflow.accounts.models import Clinic, User
from ketaflow.audit import context
from ketaflow.lib.background import enqueue_on_commit
from ketaflow.patients.models import Patient
from ketaflow.synthetic.generator import SynthConfig, generate
from ketaflow.synthetic.models import SynthJob, SynthStatus
from ketaflow.synthetic.summaries import rebuild_outcomes
from ketaflow.synthetic.writer import SynthWriter

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
#: Patients per transaction: a kill loses at most this many (written again by the retry).
DEFAULT_CHUNK = 2000


def cli_context(agent: str) -> context.RequestContext:
    return context.RequestContext(
        ip_address=None,
        user_agent=agent,
        request_id=context.new_request_id(),
        path="",
        channel="cli",
    )


def create_job(
    clinic: Clinic,
    *,
    patients: int,
    seed: int,
    today: date,
    requested_label: str,
    requested_by: User | None = None,
    sessions_per_patient: int = 10,
    responses_per_patient: int = 30,
    months_back: int = 18,
    first_index: int | None = None,
    mrn_prefix: str = "SYN",
    latest_start_days_ago: int = 21,
    staff: dict[str, User] | None = None,
    outcomes: bool = True,
    skip_fk_checks: bool = False,
    chunk: int = DEFAULT_CHUNK,
) -> SynthJob:
    """Record a synthetic load into a synthetic clinic (not run yet); one at a time per clinic.

    `first_index` defaults to after the clinic's patients, so a second load adds to the first.
    """
    if not clinic.is_synthetic:
        raise ValidationError(
            f"Clinic {clinic.slug!r} is not synthetic: refusing to write into it."
        )
    if patients < 1 or chunk < 1:
        raise ValidationError(
            "A synthetic load needs at least one patient, in parts of one or more."
        )
    with transaction.atomic():
        if SynthJob.objects.filter(
            clinic=clinic, status__in=(SynthStatus.QUEUED, SynthStatus.RUNNING)
        ).exists():
            raise ValidationError(
                f"A synthetic load into {clinic.name!r} is already queued or running; wait for it."
            )
        if first_index is None:
            first_index = Patient.objects.filter(clinic=clinic).count() + 1
        return SynthJob.objects.create(
            clinic=clinic,
            requested_by=requested_by,
            requested_label=requested_label[:200],
            patients=patients,
            seed=seed,
            today=today,
            sessions_per_patient=sessions_per_patient,
            responses_per_patient=responses_per_patient,
            months_back=months_back,
            first_index=first_index,
            mrn_prefix=mrn_prefix,
            latest_start_days_ago=latest_start_days_ago,
            nurse=(staff or {}).get("nurse"),
            prescriber=(staff or {}).get("prescriber"),
            rebuild_outcomes=outcomes,
            skip_fk_checks=skip_fk_checks,
            chunk=chunk,
        )


def queue_load(clinic: Clinic, **params: object) -> SynthJob:
    """`create_job`, then its task queued for `ketaflow worker` once the row commits."""
    with transaction.atomic():
        job = create_job(clinic, **params)  # type: ignore[arg-type]
        enqueue_on_commit(run_synthetic_load, job.pk)
    return job


@task
def run_synthetic_load(job_id: int) -> str:
    """The background job of a synthetic load (queued by `queue_load`); its status."""
    return str(run_job(job_id).status)


def recover_stale_jobs(now: datetime | None = None) -> int:
    """Loads whose worker stopped beating, or that never started, are queued again (up to
    `MAX_ATTEMPTS` attempts; past that they end failed). Returns how many."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    stale = SynthJob.objects.filter(
        Q(status=SynthStatus.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=SynthStatus.QUEUED, created_at__lt=cutoff)
    )
    stale_ids = list(stale.values_list("pk", flat=True))
    SynthJob.objects.filter(pk__in=stale_ids, attempts__gte=MAX_ATTEMPTS).update(
        status=SynthStatus.FAILED,
        error=f"The load stopped without finishing {MAX_ATTEMPTS} times (the worker was "
        "killed or crashed). The patients written so far stay; start a new load for the rest.",
        finished_at=now,
    )
    for job_id in SynthJob.objects.filter(pk__in=stale_ids, attempts__lt=MAX_ATTEMPTS).values_list(
        "pk", flat=True
    ):
        enqueue_on_commit(run_synthetic_load, job_id)
    return len(stale_ids)


class _LostLease(Exception):
    """Another attempt took the job over (this one was presumed dead): stop, keep nothing."""


def _claim(job_id: int, now: datetime) -> int | None:
    """Claim the job with one conditional UPDATE; the attempt number, or None if not ours."""
    claimable = SynthJob.objects.filter(pk=job_id, attempts__lt=MAX_ATTEMPTS).filter(
        Q(status=SynthStatus.QUEUED)
        | Q(status=SynthStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    )
    seen = claimable.values_list("attempts", flat=True).first()
    if seen is None:
        return None
    attempt = seen + 1
    won = claimable.filter(attempts=seen).update(
        status=SynthStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=attempt
    )
    return attempt if won else None


def run_job(job_id: int, progress: Callable[[int], None] | None = None) -> SynthJob:
    """Claim the job and write what is left of it, part by part; any exception ends it failed.

    `progress(done)` after each committed part. A job already done, or running under a live
    worker, is left alone.
    """
    attempt = _claim(job_id, timezone.now())
    job = SynthJob.objects.select_related("clinic", "nurse", "prescriber").get(pk=job_id)
    if attempt is None:
        return job
    mine = SynthJob.objects.filter(pk=job_id, status=SynthStatus.RUNNING, attempts=attempt)
    token = context.activate(context.current() or cli_context("ketaflow synth worker"))
    try:
        _write(job, mine, progress)
        outcomes = rebuild_outcomes(job.clinic_id) if job.rebuild_outcomes else "not requested"
        mine.update(status=SynthStatus.DONE, outcomes=outcomes[:300], finished_at=timezone.now())
    except _LostLease:
        log.warning("synthetic load %s attempt %s was taken over by another", job_id, attempt)
    except Exception as exc:
        log.exception("synthetic load %s failed", job_id)
        mine.update(
            status=SynthStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:500],
            finished_at=timezone.now(),
        )
    finally:
        context.reset(token)
    job.refresh_from_db()
    return job


def _write(job: SynthJob, mine: QuerySet[SynthJob], progress: Callable[[int], None] | None) -> None:
    config = SynthConfig(
        seed=job.seed,
        patients=job.patients,
        today=job.today,
        sessions_per_patient=job.sessions_per_patient,
        responses_per_patient=job.responses_per_patient,
        months_back=job.months_back,
        timezone=job.clinic.timezone,
        first_index=job.first_index,
        mrn_prefix=job.mrn_prefix,
        latest_start_days_ago=job.latest_start_days_ago,
    )
    staff = (
        {"nurse": job.nurse, "prescriber": job.prescriber}
        if job.nurse is not None and job.prescriber is not None
        else None
    )
    stream = generate(config)
    done = job.done
    # Written by an earlier attempt: generated again (same rows, same chair bookings), not written.
    for _ in itertools.islice(stream, done):
        pass
    counts: Counter[str] = Counter(job.counts)
    generate_seconds, write_seconds = job.generate_seconds, job.write_seconds
    while done < job.patients:
        part = itertools.islice(stream, min(job.chunk, job.patients - done))
        with transaction.atomic():
            writer = SynthWriter(job.clinic, skip_fk_checks=job.skip_fk_checks, staff=staff)
            stats = writer.run(part)
            written = stats.counts.get("patients.Patient", 0)
            if not written:
                raise RuntimeError(f"the generator ran out after {done} patients")
            done += written
            counts.update(stats.counts)
            generate_seconds += stats.generate_seconds
            write_seconds += stats.write_seconds
            moved = mine.update(
                done=done,
                counts=dict(counts),
                generate_seconds=generate_seconds,
                write_seconds=write_seconds,
                heartbeat_at=timezone.now(),
            )
            if not moved:  # cancelled or taken over: this part is rolled back
                raise _LostLease
        if progress:
            progress(done)
