"""`ketaflow seed-demo` and `ketaflow demo-banner`: the synthetic demo a newcomer signs in to."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from ketaflow.accounts.models import Clinic, User
from ketaflow.audit.models import AccessEvent
from ketaflow.demo.clinic import DEMO_PASSWORD, SIGN_INS
from ketaflow.patients.models import (
    Diagnosis,
    HistoryItem,
    Measurement,
    Medication,
    Patient,
    PregnancyRecord,
    PriorTreatment,
)

MODELS = [
    Clinic,
    User,
    Patient,
    Diagnosis,
    HistoryItem,
    Medication,
    PriorTreatment,
    Measurement,
    PregnancyRecord,
    AccessEvent,
]

# From RANDOM_SEED: a change here means the demo no longer builds the same charts every time.
EXPECTED_MEASUREMENTS = [
    ("demo", "KF-000001", "height", Decimal("173.00"), "cm"),
    ("demo", "KF-000001", "weight", Decimal("86.00"), "kg"),
    ("demo", "KF-000002", "height", Decimal("73.00"), "in"),
    ("demo", "KF-000002", "weight", Decimal("170.00"), "lb"),
    ("demo-north", "KF-000001", "height", Decimal("184.00"), "cm"),
    ("demo-north", "KF-000001", "weight", Decimal("70.00"), "kg"),
    ("demo-north", "KF-000002", "height", Decimal("163.00"), "cm"),
    ("demo-north", "KF-000002", "weight", Decimal("54.00"), "kg"),
]


def seed():
    out = StringIO()
    call_command("seed-demo", "--no-history", stdout=out)
    return out.getvalue()


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture
def seeded(db):
    seed()


def test_running_it_twice_changes_nothing(db):
    assert "created" in seed()
    first = counts()
    assert "nothing to do" in seed()
    assert counts() == first


def test_it_is_deterministic(seeded):
    """Weights and heights come from a fixed seed: every fresh database gets these numbers."""
    rows = Measurement.objects.filter(
        patient__mrn__in=["KF-000001", "KF-000002"],
        measured_on__lt=date(2026, 10, 1),  # the charts; a live session weighs on the day
    ).order_by("patient__clinic__slug", "patient__mrn", "kind")
    got = [
        (r.patient.clinic.slug, r.patient.mrn, r.kind, r.entered_value, r.entered_unit)
        for r in rows
    ]
    assert got == EXPECTED_MEASUREMENTS


def test_every_clinic_and_patient_is_marked_synthetic(seeded):
    assert Clinic.objects.count() == 2
    assert not Clinic.objects.filter(is_synthetic=False).exists()
    assert Patient.objects.count() >= 15
    assert not Patient.objects.filter(is_synthetic=False).exists()
    main = Clinic.objects.get(name="Ketaflow Demo Clinic")
    assert main.timezone == "Europe/London"
    assert Patient.objects.filter(clinic=main).count() == 16  # 15 charts and the oral patient


def test_each_documented_sign_in_works_with_the_demo_password(seeded):
    for sign_in in SIGN_INS:
        user = User.objects.get(username=sign_in.username)
        assert user.check_password(DEMO_PASSWORD), sign_in.username
        assert user.is_active
        assert user.role == sign_in.role
        # Synthetic clinics do not force two-factor on staff; the platform operator opens the
        # admin over every clinic, so it always needs a second factor.
        assert user.requires_2fa is sign_in.superuser
    roles = {s.role for s in SIGN_INS if s.clinic_slug == "demo"}
    assert {"front_desk", "nurse", "prescriber", "clinic_admin", "researcher"} <= roles
    assert User.objects.get(username="north").clinic.slug == "demo-north"
    assert User.objects.get(username="operator").is_superuser


def test_the_same_mrn_lives_in_both_clinics(seeded):
    assert Patient.objects.filter(mrn="KF-000001").count() == 2


def test_the_charts_cover_what_screening_needs(seeded):
    codes = set(Diagnosis.objects.values_list("code", flat=True))
    assert {"F41.1", "F41.0"} <= codes  # GAD, panic
    assert codes & {"F40.10", "F40.11"}  # social anxiety
    assert codes & {"F43.10", "F43.11", "F43.12"}  # PTSD
    assert codes & {"F42.2", "F42.8", "F42.9"}  # OCD
    assert codes & {"F32.9", "F33.9", "F33.2"}  # depression comorbidity
    conditions = set(
        HistoryItem.objects.exclude(presence="absent").values_list("condition", flat=True)
    )
    assert {"hypertension", "sleep_apnoea", "substance_use_disorder"} <= conditions
    meds = list(Medication.objects.all())
    benzos = [m for m in meds if "benzodiazepine" in m.classes]
    assert any(m.diazepam_equivalent_mg_per_day > Decimal(8) for m in benzos)
    assert all(m.diazepam_equivalent_mg_per_day is not None for m in benzos)
    assert any("stimulant" in m.classes for m in meds)
    assert any(m.name == "Sertraline" for m in meds)
    assert PriorTreatment.objects.filter(adequate=True, outcome="no_response").exists()
    assert PriorTreatment.objects.filter(adequate=False).exists()
    assert Measurement.objects.filter(entered_unit="lb").exists()


def test_everyone_who_can_become_pregnant_has_a_pregnancy_status(seeded):
    main = Patient.objects.filter(clinic__slug="demo", can_become_pregnant=True)
    assert main.exists()
    for patient in main:
        assert PregnancyRecord.objects.filter(patient=patient).exists(), patient


def test_it_went_through_the_services_and_the_audit_log(seeded):
    created = AccessEvent.objects.filter(action="create", object_type="patients.Patient")
    assert created.count() == Patient.objects.count()
    assert set(created.values_list("channel", flat=True)) == {"cli"}


def test_it_refuses_to_mix_demo_data_into_a_real_clinic(db):
    Clinic.objects.create(name="Real", slug="demo", is_synthetic=False)
    with pytest.raises(RuntimeError, match="not synthetic"):
        seed()
    assert not Patient.objects.exists()


def test_the_banner_shows_the_url_the_warning_and_every_sign_in(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    out = StringIO()
    call_command("demo-banner", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text
    assert "SYNTHETIC DEMO DATA" in text
    assert DEMO_PASSWORD in text
    for sign_in in SIGN_INS:
        assert sign_in.username in text
        assert sign_in.role_label in text


def test_the_banner_defaults_to_port_8000(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    out = StringIO()
    call_command("demo-banner", stdout=out)
    assert "http://127.0.0.1:8000/" in out.getvalue()


def test_allergies_are_listed_or_none_known_except_on_one_chart_not_yet_asked(seeded):
    from ketaflow.patients.models import Allergy

    asked = {a.patient_id for a in Allergy.objects.all()}
    none_known = set(
        Allergy.objects.filter(no_known_allergies=True).values_list("patient_id", flat=True)
    )
    not_asked = Patient.objects.exclude(pk__in=asked)
    assert list(not_asked.values_list("mrn", "clinic__slug")) == [("KF-000015", "demo")]
    assert none_known and none_known <= asked


def test_the_two_clinics_are_one_organisation_and_north_may_break_the_glass(seeded):
    from ketaflow.accounts.models import Clinic, User

    clinics = Clinic.objects.filter(slug__in=["demo", "demo-north"])
    assert {c.organisation.slug for c in clinics} == {"demo-health"}
    designated = User.objects.filter(may_break_glass=True)
    assert [u.username for u in designated] == ["north"] and designated[0].can_break_glass
