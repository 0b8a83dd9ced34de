"""`ketaflow synth --patients N`: a large synthetic clinic for benchmarks and demos.

Everything is made up and flagged synthetic (the clinic and every patient). Rows are written
in bulk, not through the services (which rightly refuse back-dated charting); see
`ketaflow.synthetic.writer` for exactly what is and is not written.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ketaflow.synthetic.load import load
from ketaflow.synthetic.writer import synthetic_clinic


class Command(BaseCommand):
    help = (
        "Create a synthetic clinic with N made-up patients and their treatment histories "
        "(courses, signed sessions, GAD-7/PHQ-9 trajectories), written in bulk."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, required=True, help="How many patients")
        parser.add_argument("--clinic", default="", help="Clinic name (default: per N and seed)")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)"
        )
        parser.add_argument("--sessions-per-patient", type=int, default=10)
        parser.add_argument("--responses-per-patient", type=int, default=30)
        parser.add_argument("--months-back", type=int, default=18)

    def handle(self, *args: Any, **opts: Any) -> None:
        n = opts["patients"]
        if n < 1:
            raise CommandError("--patients must be at least 1")
        if opts["sessions_per_patient"] < 1 or opts["responses_per_patient"] < 0:
            raise CommandError("sessions per patient must be ≥ 1, responses ≥ 0")
        name = opts["clinic"] or f"Synthetic clinic N={n} (seed {opts['seed']})"
        try:
            clinic = synthetic_clinic(name)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        from ketaflow.patients.models import Patient

        first = Patient.objects.filter(clinic=clinic).count() + 1
        if first > 1:
            self.stdout.write(f"{clinic.name} has {first - 1} patients: adding {n} more.")
        result = load(
            clinic,
            patients=n,
            seed=opts["seed"],
            today=timezone.localdate(),
            sessions_per_patient=opts["sessions_per_patient"],
            responses_per_patient=opts["responses_per_patient"],
            months_back=opts["months_back"],
            first_index=first,
            progress=lambda k: self.stdout.write(f"  … {k} patients"),
        )
        s = result.stats
        self.stdout.write(self.style.SUCCESS(f"Synthetic clinic {clinic.name!r} (id {clinic.pk})"))
        for label, count in s.counts.items():
            self.stdout.write(f"  {label:40} {count:>12,}")
        self.stdout.write(
            f"  generation {s.generate_seconds:.1f} s, database writes {s.write_seconds:.1f} s, "
            f"total {s.total_seconds:.1f} s"
        )
        self.stdout.write(f"  outcome summaries: {result.outcomes}")
