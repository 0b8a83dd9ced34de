"""A past of completed courses for the synthetic demo clinic, so outcome charts have data.

`seed_outcome_history(clinic)` adds `patients` made-up patients (MRNs "KF-H…", names
"Synthetic-…") whose courses started 7–18 months ago and are all finished, with GAD-7/PHQ-9
trajectories of every archetype (responders, early responders, relapses, non-responders,
dropouts): the dashboard's response and remission rates, the time-to-response and
relapse-free Kaplan-Meier curves and the per-patient trajectories all show something.

It writes through the synthetic bulk writer (the services refuse back-dated charting; see
`ketaflow.synthetic.writer`), attributing rows to the demo's nurse and prescriber when they
exist, then rebuilds the clinic's outcome summaries. Idempotent: if the history is there
already (any "KF-H" patient), nothing is added. Dates are relative to the day it runs (a
history "in the last 18 months" must be), the data itself is fixed by the seed.
"""

from __future__ import annotations

from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.patients.models import Patient
from ketaflow.synthetic.load import load

MRN_PREFIX = "KF-H"


def _demo_staff(clinic: Clinic) -> dict[str, User] | None:
    nurse = User.objects.filter(clinic=clinic, role="nurse", is_active=True).order_by("pk").first()
    prescriber = (
        User.objects.filter(clinic=clinic, role="prescriber", is_active=True).order_by("pk").first()
    )
    if nurse is None or prescriber is None:
        return None  # the writer makes its own synthetic staff
    return {"nurse": nurse, "prescriber": prescriber}


def seed_outcome_history(clinic: Clinic, *, patients: int = 60, seed: int = 2026) -> list[str]:
    """Add the completed-course history once; returns what was created (empty if present)."""
    if not clinic.is_synthetic:
        raise RuntimeError(f"Clinic {clinic.slug!r} is not synthetic: refusing to add history.")
    if Patient.objects.filter(clinic=clinic, mrn__startswith=f"{MRN_PREFIX}-").exists():
        return []
    result = load(
        clinic,
        patients=patients,
        seed=seed,
        today=timezone.localdate(),
        sessions_per_patient=10,
        responses_per_patient=30,
        months_back=18,
        latest_start_days_ago=210,
        mrn_prefix=MRN_PREFIX,
        staff=_demo_staff(clinic),
    )
    counts = result.stats.counts
    return [
        f"outcome history: {counts['patients.Patient']} synthetic patients with completed "
        f"courses, {counts['treatments.TreatmentSession']} signed sessions, "
        f"{counts['questionnaires.InstrumentResponse']} GAD-7/PHQ-9 responses",
        f"outcome summaries: {result.outcomes}",
    ]
