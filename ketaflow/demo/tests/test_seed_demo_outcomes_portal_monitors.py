"""`seed-demo` with everything: a past of completed courses, the portal demo, the monitors.

The process itself is tested with `--no-history` in the other seed tests; here the full
seed must give the outcome dashboard something to show, stay entirely synthetic, and change
nothing when run again.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ketaflow.accounts.models import Clinic
from ketaflow.audit.models import AccessEvent
from ketaflow.devices.models import MonitorBinding
from ketaflow.outcomes.models import CourseOutcome
from ketaflow.patients.models import Patient
from ketaflow.questionnaires.models import RiskAlert
from ketaflow.treatments.models import TreatmentSession

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed-demo", stdout=out)
    return out.getvalue()


def test_the_full_demo_has_an_outcome_history_a_portal_link_and_monitors() -> None:
    output = seed()
    demo = Clinic.objects.get(slug="demo")
    history = Patient.objects.filter(clinic=demo, mrn__startswith="KF-H")
    assert history.count() == 60
    assert not Patient.objects.filter(is_synthetic=False).exists()
    assert not Clinic.objects.filter(is_synthetic=False).exists()
    signed = TreatmentSession.objects.filter(patient__in=history, signed_at__isnull=False)
    assert signed.count() > 300
    outcomes = CourseOutcome.objects.filter(clinic=demo)
    assert outcomes.filter(first_response_on__isnull=False).exists()
    assert outcomes.filter(first_response_on__isnull=True).exists()
    assert outcomes.filter(relapse_on__isnull=False).exists()
    assert "/p/q/" in output  # the patient-portal link, shown once
    assert RiskAlert.objects.filter(clinic=demo, acknowledged_at__isnull=True).exists()
    assert MonitorBinding.objects.filter(clinic=demo, active=True).count() >= 4


def test_a_second_full_run_changes_nothing() -> None:
    seed()
    counts = (
        Patient.objects.count(),
        TreatmentSession.objects.count(),
        AccessEvent.objects.count(),
    )
    output = seed()
    assert "nothing to do" in output
    assert "/p/q/" not in output
    assert (
        Patient.objects.count(),
        TreatmentSession.objects.count(),
        AccessEvent.objects.count(),
    ) == counts
