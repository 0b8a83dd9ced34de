"""`ketaflow seed-demo`: build the synthetic demo clinics, sign-ins, charts, the treatment
process (chairs, screening, consent, courses, bookings, live sessions), a past of completed
courses for the outcome charts, the patient-portal demo and monitor bindings; idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ketaflow.demo.clinic import DemoRefusedInProduction, seed_demo


class Command(BaseCommand):
    help = (
        "Create the synthetic demo clinics, one sign-in per role and fifteen made-up patients, "
        "with chairs, screening, consent and courses in every phase (future sessions are "
        "booked from tomorrow), live sessions on the chair board, a past of completed courses "
        "for the outcome charts, a patient-portal link, the oral programme (a titrated course, a "
        "take-home supply and a home diary link) and bedside-monitor bindings. "
        "Safe to run again: whatever exists already is left as it is."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Skip the 60-patient past of completed courses (faster; outcome charts "
            "and Kaplan-Meier curves will have little to show).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = seed_demo(history=not options["no_history"])
        except DemoRefusedInProduction as refused:
            raise CommandError(str(refused), returncode=2) from None
        if report.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data: created {len(report.created)} records (all synthetic)."
                )
            )
            for line in report.created:
                self.stdout.write(f"  + {line}")
        else:
            self.stdout.write("Demo data already present: nothing to do.")
