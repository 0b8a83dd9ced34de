"""One synthetic load: generate, write in bulk, rebuild the outcome summaries; channel cli.

Shared by `ketaflow synth`, the benchmark and the demo so they all run the same path.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ketaflow.accounts.models import Clinic, User
from ketaflow.audit import context
from ketaflow.synthetic.generator import SynthConfig, generate
from ketaflow.synthetic.writer import SynthStats, SynthWriter


@dataclass
class LoadResult:
    stats: SynthStats
    outcomes: str  # what happened to the outcome summaries


def cli_context(agent: str) -> context.RequestContext:
    return context.RequestContext(
        ip_address=None,
        user_agent=agent,
        request_id=context.new_request_id(),
        path="",
        channel="cli",
    )


def rebuild_outcomes(clinic_id: int) -> str:
    """Call `outcomes.services.rebuild_course_outcomes` if that app provides it yet."""
    try:
        services = importlib.import_module("ketaflow.outcomes.services")
    except ImportError:
        return "skipped: ketaflow.outcomes.services does not exist yet"
    rebuild = getattr(services, "rebuild_course_outcomes", None)
    if rebuild is None:
        return "skipped: ketaflow.outcomes.services.rebuild_course_outcomes does not exist yet"
    result = rebuild(clinic_id=clinic_id)
    return f"rebuilt ({result})" if result is not None else "rebuilt"


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
) -> LoadResult:
    config = SynthConfig(
        seed=seed,
        patients=patients,
        today=today,
        sessions_per_patient=sessions_per_patient,
        responses_per_patient=responses_per_patient,
        months_back=months_back,
        timezone=clinic.timezone,
        first_index=first_index,
        mrn_prefix=mrn_prefix,
        latest_start_days_ago=latest_start_days_ago,
    )
    token = context.activate(context.current() or cli_context("ketaflow synth"))
    try:
        stats = SynthWriter(clinic, skip_fk_checks=skip_fk_checks, staff=staff).run(
            generate(config), progress=progress
        )
        done = rebuild_outcomes(clinic.pk) if outcomes else "not requested"
    finally:
        context.reset(token)
    return LoadResult(stats, done)
