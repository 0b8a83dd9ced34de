"""`ketaflow synth --patients N`: a large synthetic clinic for benchmarks and demos.

Everything is made up and flagged synthetic (the clinic and every patient). Rows are written
in bulk, not through the services (which rightly refuse back-dated charting); see
`ketaflow.synthetic.writer` for exactly what is and is not written.

The load is a job (`ketaflow.synthetic.jobs`): by default this command runs it here and now;
`--queue` leaves it to `ketaflow worker` (the same code), and `--status` shows the recent
loads with their progress.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ketaflow.synthetic.jobs import DEFAULT_CHUNK, cli_context, create_job, queue_load, run_job
from ketaflow.synthetic.load import stats_of
from ketaflow.synthetic.models import SynthJob, SynthStatus
from ketaflow.synthetic.writer import synthetic_clinic


class Command(BaseCommand):
    help = (
        "Create a synthetic clinic with N made-up patients and their treatment histories "
        "(courses, signed sessions, GAD-7/PHQ-9 trajectories), written in bulk."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=0, help="How many patients")
        parser.add_argument("--clinic", default="", help="Clinic name (default: per N and seed)")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)"
        )
        parser.add_argument("--sessions-per-patient", type=int, default=10)
        parser.add_argument("--responses-per-patient", type=int, default=30)
        parser.add_argument("--months-back", type=int, default=18)
        parser.add_argument(
            "--chunk",
            type=int,
            default=DEFAULT_CHUNK,
            help="Patients per transaction (a killed load resumes after the last one)",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the load for `ketaflow worker` instead of running it here",
        )
        parser.add_argument(
            "--status", action="store_true", help="Show the recent loads and their progress"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["status"]:
            self._status()
            return
        n = opts["patients"]
        if n < 1:
            raise CommandError("--patients must be at least 1")
        if opts["sessions_per_patient"] < 1 or opts["responses_per_patient"] < 0:
            raise CommandError("sessions per patient must be ≥ 1, responses ≥ 0")
        if opts["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
        name = opts["clinic"] or f"Synthetic clinic N={n} (seed {opts['seed']})"
        try:
            clinic = synthetic_clinic(name)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        from ketaflow.patients.models import Patient

        first = Patient.objects.filter(clinic=clinic).count() + 1
        if first > 1:
            self.stdout.write(f"{clinic.name} has {first - 1} patients: adding {n} more.")
        params: dict[str, Any] = {
            "patients": n,
            "seed": opts["seed"],
            "today": timezone.localdate(),
            "requested_label": "ketaflow synth",
            "sessions_per_patient": opts["sessions_per_patient"],
            "responses_per_patient": opts["responses_per_patient"],
            "months_back": opts["months_back"],
            "first_index": first,
            "chunk": opts["chunk"],
        }
        try:
            if opts["queue"]:
                job = queue_load(clinic, **params)
                self.stdout.write(
                    f"Synthetic load {job.pk} queued for `ketaflow worker`; "
                    "`ketaflow synth --status` shows its progress."
                )
                return
            job = create_job(clinic, **params)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        from ketaflow.audit import context

        token = context.activate(context.current() or cli_context("ketaflow synth"))
        try:
            job = run_job(job.pk, progress=lambda k: self.stdout.write(f"  … {k} patients"))
        finally:
            context.reset(token)
        if job.status != SynthStatus.DONE:
            raise CommandError(f"Synthetic load {job.pk} {job.status}: {job.error}")
        s = stats_of(job)
        self.stdout.write(self.style.SUCCESS(f"Synthetic clinic {clinic.name!r} (id {clinic.pk})"))
        for label, count in s.counts.items():
            self.stdout.write(f"  {label:40} {count:>12,}")
        self.stdout.write(
            f"  generation {s.generate_seconds:.1f} s, database writes {s.write_seconds:.1f} s, "
            f"total {s.total_seconds:.1f} s"
        )
        self.stdout.write(f"  outcome summaries: {job.outcomes}")

    def _status(self) -> None:
        jobs = SynthJob.objects.select_related("clinic")[:10]
        if not jobs:
            self.stdout.write("No synthetic loads yet.")
        for job in jobs:
            line = (
                f"{job.pk:>5}  {job.status:<8} {job.done:>9,} of {job.patients:<9,} "
                f"({job.percent}%)  {job.clinic.name}  asked {job.created_at:%Y-%m-%d %H:%M} "
                f"by {job.requested_label}, attempt {job.attempts}"
            )
            if job.error:
                line += f"  [{job.error}]"
            self.stdout.write(line)
