"""One synthetic load, run here and now: generate, write in bulk, rebuild the outcome summaries.

Shared by the benchmark and the demo. It records the load as a `SynthJob` and runs it with
`jobs.run_job`, the same code the worker runs for a queued load (`ketaflow synth --queue`),
so every load, synchronous or not, leaves its status row and is written in the same parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ketaflow.accounts.models import Clinic, User
from ketaflow.audit import context
from ketaflow.synthetic.jobs import DEFAULT_CHUNK, cli_context, create_job, run_job
from ketaflow.synthetic.models import SynthJob, SynthStatus
from ketaflow.synthetic.summaries import rebuild_outcomes
from ketaflow.synthetic.writer import SynthStats

__all__ = ["LoadResult", "cli_context", "load", "rebuild_outcomes", "stats_of"]


@dataclass
class LoadResult:
    stats: SynthStats
    outcomes: str  # what happened to the outcome summaries
    job: SynthJob | None = None


def stats_of(job: SynthJob) -> SynthStats:
    return SynthStats(
        counts=dict(job.counts),
        generate_seconds=job.generate_seconds,
        write_seconds=job.write_seconds,
    )


def load(
    clinic: Clinic,
    *,
    patients: int,
    seed: int,
    today: date,
    sessions_per_patient: int = 10,
    responses_per_patient: int = 30,
    months_back: int = 18,
    first_index: int = 1,
    progress: Callable[[int], None] | None = None,
    outcomes: bool = True,
    skip_fk_checks: bool = False,
    mrn_prefix: str = "SYN",
    latest_start_days_ago: int = 21,
    staff: dict[str, User] | None = None,
    chunk: int = DEFAULT_CHUNK,
    requested_label: str = "ketaflow synth",
) -> LoadResult:
    """Write the load now (in parts of `chunk` patients); raises if it failed."""
    token = context.activate(context.current() or cli_context(requested_label))
    try:
        job = create_job(
            clinic,
            patients=patients,
            seed=seed,
            today=today,
            requested_label=requested_label,
            sessions_per_patient=sessions_per_patient,
            responses_per_patient=responses_per_patient,
            months_back=months_back,
            first_index=first_index,
            mrn_prefix=mrn_prefix,
            latest_start_days_ago=latest_start_days_ago,
            staff=staff,
            outcomes=outcomes,
            skip_fk_checks=skip_fk_checks,
            chunk=chunk,
        )
        job = run_job(job.pk, progress=progress)
    finally:
        context.reset(token)
    if job.status != SynthStatus.DONE:
        raise RuntimeError(f"synthetic load {job.pk} ended {job.status}: {job.error}")
    return LoadResult(stats_of(job), job.outcomes, job)
