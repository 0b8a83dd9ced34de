"""The synthetic demo: two made-up clinics, one sign-in per role, fifteen varied charts.

Kept apart from the command modules (whose names have hyphens, so cannot be imported
normally) so that `seed-demo` and `demo-banner` share one list of sign-ins.

Patients and chart entries are written through the same services the pages use, so the
demo data passes the same validation and appears in the audit log (channel "cli"), as a
real import would. Dates are fixed, not relative to today, so every run builds the same
charts; the random generator only varies weights and heights, from a fixed seed. The
treatment process (`demo.process`) follows the same rule, except that future appointments
are booked from the day after the seed runs, so the schedule always has sessions ahead.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from ketaflow.accounts.models import Clinic, Organisation, User
from ketaflow.accounts.roles import Role
from ketaflow.audit import context
from ketaflow.patients.codes import (
    DiagnosisCode as Dx,
)
from ketaflow.patients.codes import (
    HistoryCondition as Hx,
)
from ketaflow.patients.codes import (
    HistoryStatus,
    PregnancyStatus,
    TreatmentKind,
    TreatmentOutcome,
)
from ketaflow.patients.codes import (
    MedicationClass as Mc,
)
from ketaflow.patients.models import Patient
from ketaflow.patients.services import add_entry, register_patient

DEMO_PASSWORD = "ketaflow-demo-2026"
RANDOM_SEED = 2026
MAIN_CLINIC = {"slug": "demo", "name": "Ketaflow Demo Clinic", "timezone": "Europe/London"}
SECOND_CLINIC = {
    "slug": "demo-north",
    "name": "Ketaflow Demo North (second clinic)",
    "timezone": "America/Toronto",
}


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    role: str  # a Role value, or "" for the platform operator
    clinic_slug: str
    first_name: str
    last_name: str
    title: str = ""
    superuser: bool = False

    @property
    def role_label(self) -> str:
        if self.superuser:
            return "Platform operator (Django admin; sets up two-factor at first sign-in)"
        label = str(dict(Role.choices)[self.role])
        if self.clinic_slug == SECOND_CLINIC["slug"]:
            return f"{label}, second clinic"
        return label


SIGN_INS: tuple[DemoSignIn, ...] = (
    DemoSignIn("frontdesk", Role.FRONT_DESK, "demo", "Frankie", "Frontdesk-Demo"),
    DemoSignIn("nurse", Role.NURSE, "demo", "Nell", "Nurse-Demo", "RN"),
    DemoSignIn("prescriber", Role.PRESCRIBER, "demo", "Priya", "Prescriber-Demo", "MD"),
    DemoSignIn("admin", Role.CLINIC_ADMIN, "demo", "Ari", "Admin-Demo"),
    DemoSignIn("researcher", Role.RESEARCHER, "demo", "Remy", "Researcher-Demo"),
    DemoSignIn("north", Role.PRESCRIBER, "demo-north", "Noor", "North-Demo", "NP"),
    DemoSignIn("operator", "", "demo", "Olly", "Operator-Demo", superuser=True),
)


@dataclass(frozen=True)
class DemoPatient:
    """One synthetic chart: demographics plus entries in the shape `add_entry` takes."""

    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex_at_birth: str
    can_become_pregnant: bool
    diagnoses: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    medications: list[dict[str, Any]] = field(default_factory=list)
    prior_treatments: list[dict[str, Any]] = field(default_factory=list)
    allergies: list[dict[str, Any]] = field(default_factory=list)
    # Without allergies listed, "no known allergies" is recorded as the fact it is, unless
    # the demo shows a chart where nobody has asked yet (the banner says "not recorded").
    allergies_asked: bool = True
    imperial: bool = False  # weight and height entered in lb / in (the service converts)
    pregnancy: dict[str, Any] | None = None


def _dx(code: str, primary: bool = False, onset: date | None = None) -> dict[str, Any]:
    return {"code": code, "is_primary": primary, "onset": onset}


def _hx(condition: str, presence: str, notes: str = "") -> dict[str, Any]:
    return {"condition": condition, "presence": presence, "notes": notes}


def _med(
    name: str,
    dose: str,
    classes: Sequence[str],
    started: date,
    diazepam_eq: str | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "dose": dose,
        "classes": [str(c) for c in classes],
        "diazepam_equivalent_mg_per_day": Decimal(diazepam_eq) if diazepam_eq else None,
        "started_on": started,
    }


def _prior(
    kind: str, name: str, adequate: bool, outcome: str, start: date, end: date
) -> dict[str, Any]:
    return {
        "kind": kind,
        "name": name,
        "adequate": adequate,
        "outcome": outcome,
        "started_on": start,
        "ended_on": end,
    }


def _not_pregnant(tested: bool = True) -> dict[str, Any]:
    return {
        "observed_on": date(2026, 10, 1),
        "pregnancy_status": PregnancyStatus.NOT_PREGNANT,
        "test_done": tested,
        "test_positive": False if tested else None,
    }


_ABSENT_SCREEN = [
    _hx(Hx.PSYCHOSIS, HistoryStatus.ABSENT),
    _hx(Hx.MANIA, HistoryStatus.ABSENT),
    _hx(Hx.KETAMINE_MISUSE, HistoryStatus.ABSENT),
]
_SSRI = [Mc.ANTIDEPRESSANT]
N, R, P, U = (
    TreatmentOutcome.NO_RESPONSE,
    TreatmentOutcome.RESPONSE,
    TreatmentOutcome.PARTIAL,
    TreatmentOutcome.INTOLERANT,
)
T = TreatmentKind

PATIENTS: tuple[DemoPatient, ...] = (
    DemoPatient(
        "KF-000001",
        "Ada",
        "Example",
        date(1988, 3, 14),
        "female",
        True,
        diagnoses=[_dx(Dx.GAD, True, date(2015, 1, 1)), _dx(Dx.DEPRESSION_RECURRENT)],
        history=[*_ABSENT_SCREEN, _hx(Hx.HYPERTENSION, HistoryStatus.ABSENT)],
        medications=[_med("Sertraline", "150 mg once daily", _SSRI, date(2024, 2, 1))],
        prior_treatments=[
            _prior(T.SSRI, "Escitalopram 20 mg", True, N, date(2021, 1, 5), date(2021, 6, 1)),
            _prior(T.CBT, "CBT, 16 sessions", True, P, date(2022, 3, 1), date(2022, 7, 1)),
        ],
        allergies=[{"substance": "Penicillin", "reaction": "Rash", "severity": "moderate"}],
        pregnancy=_not_pregnant(),
    ),
    DemoPatient(
        "KF-000002",
        "Bram",
        "Sample",
        date(1979, 11, 2),
        "male",
        False,
        diagnoses=[_dx(Dx.SOCIAL_ANXIETY_GENERALIZED, True, date(1998, 6, 1))],
        history=[
            *_ABSENT_SCREEN,
            _hx(Hx.HYPERTENSION, HistoryStatus.CURRENT, "On amlodipine; clinic BP 138/88"),
            _hx(Hx.SLEEP_APNOEA, HistoryStatus.CURRENT, "Uses CPAP nightly"),
        ],
        medications=[
            _med("Amlodipine", "5 mg once daily", [Mc.ANTIHYPERTENSIVE], date(2020, 5, 1)),
            _med("Paroxetine", "30 mg once daily", _SSRI, date(2023, 9, 1)),
        ],
        prior_treatments=[
            _prior(T.SSRI, "Sertraline 200 mg", True, N, date(2019, 1, 1), date(2019, 8, 1)),
            _prior(
                T.EXPOSURE, "Group exposure therapy", True, P, date(2021, 1, 1), date(2021, 4, 1)
            ),
        ],
        imperial=True,
    ),
    DemoPatient(
        "KF-000003",
        "Cleo",
        "Placeholder",
        date(1995, 7, 21),
        "female",
        True,
        diagnoses=[_dx(Dx.PANIC_AGORAPHOBIA, True, date(2017, 4, 1)), _dx(Dx.DEPRESSION_SINGLE)],
        history=[*_ABSENT_SCREEN],
        medications=[
            _med(
                "Clonazepam",
                "0.5 mg twice daily",
                [Mc.BENZODIAZEPINE],
                date(2023, 1, 10),
                diazepam_eq="20",
            ),
            _med("Venlafaxine XL", "150 mg once daily", _SSRI, date(2022, 6, 1)),
        ],
        prior_treatments=[
            _prior(T.SNRI, "Duloxetine 60 mg", True, U, date(2020, 2, 1), date(2020, 4, 1)),
            _prior(T.CBT, "Panic-focused CBT", True, N, date(2021, 5, 1), date(2021, 9, 1)),
        ],
        allergies=[{"substance": "Latex", "reaction": "Hives", "severity": "mild"}],
        pregnancy=_not_pregnant(),
    ),
    DemoPatient(
        "KF-000004",
        "Dev",
        "Fictional",
        date(1984, 1, 30),
        "male",
        False,
        diagnoses=[
            _dx(Dx.PTSD_CHRONIC, True, date(2010, 9, 1)),
            _dx(Dx.DEPRESSION_RECURRENT_SEVERE),
        ],
        history=[
            *_ABSENT_SCREEN,
            _hx(Hx.SUBSTANCE_USE_DISORDER, HistoryStatus.PAST, "Alcohol; in remission since 2018"),
        ],
        medications=[
            _med("Naltrexone", "50 mg once daily", [Mc.NALTREXONE], date(2018, 3, 1)),
            _med("Prazosin", "2 mg at night", [Mc.ANTIHYPERTENSIVE], date(2022, 1, 1)),
        ],
        prior_treatments=[
            _prior(
                T.TRAUMA_THERAPY,
                "Prolonged exposure, 12 sessions",
                True,
                P,
                date(2019, 1, 1),
                date(2019, 5, 1),
            ),
            _prior(T.SSRI, "Sertraline 150 mg", True, N, date(2020, 1, 1), date(2020, 9, 1)),
        ],
        imperial=True,
    ),
    DemoPatient(
        "KF-000005",
        "Esme",
        "Specimen",
        date(1991, 5, 9),
        "female",
        True,
        diagnoses=[_dx(Dx.OCD_UNSPECIFIED, True, date(2008, 1, 1)), _dx(Dx.DEPRESSION_SINGLE)],
        history=[*_ABSENT_SCREEN],
        medications=[
            _med("Fluoxetine", "60 mg once daily", _SSRI, date(2023, 3, 1)),
        ],
        prior_treatments=[
            _prior(T.SSRI, "Fluvoxamine 250 mg", True, N, date(2018, 1, 1), date(2018, 12, 1)),
            _prior(T.EXPOSURE, "ERP, 20 sessions", True, P, date(2019, 2, 1), date(2019, 8, 1)),
            _prior(
                T.ANTIPSYCHOTIC,
                "Aripiprazole augmentation",
                False,
                U,
                date(2020, 1, 1),
                date(2020, 2, 1),
            ),
        ],
        pregnancy={
            "observed_on": date(2026, 10, 1),
            "pregnancy_status": PregnancyStatus.PLANNING,
            "test_done": False,
            "test_positive": None,
        },
    ),
    DemoPatient(
        "KF-000006",
        "Finn",
        "Madeup",
        date(1999, 12, 12),
        "male",
        False,
        diagnoses=[_dx(Dx.GAD, True, date(2019, 1, 1))],
        history=[*_ABSENT_SCREEN, _hx(Hx.EPILEPSY, HistoryStatus.ABSENT)],
        medications=[
            _med("Lisdexamfetamine", "50 mg each morning", [Mc.STIMULANT], date(2021, 9, 1)),
            _med("Escitalopram", "20 mg once daily", _SSRI, date(2023, 5, 1)),
        ],
        prior_treatments=[
            _prior(T.PREGABALIN, "Pregabalin 300 mg", True, P, date(2022, 1, 1), date(2022, 6, 1)),
        ],
        allergies=[{"substance": "Sulfonamides", "reaction": "Swelling", "severity": "severe"}],
    ),
    DemoPatient(
        "KF-000007",
        "Gina",
        "Testcase",
        date(1976, 8, 3),
        "female",
        False,
        diagnoses=[_dx(Dx.GAD, True), _dx(Dx.PANIC)],
        history=[
            *_ABSENT_SCREEN,
            _hx(Hx.HYPERTENSION, HistoryStatus.PAST, "Resolved with weight loss"),
            _hx(Hx.RAISED_IOP, HistoryStatus.ABSENT),
        ],
        medications=[
            _med(
                "Alprazolam",
                "0.25 mg when needed",
                [Mc.BENZODIAZEPINE],
                date(2024, 1, 1),
                diazepam_eq="2.5",
            ),
            _med("Duloxetine", "60 mg once daily", _SSRI, date(2023, 1, 1)),
        ],
        prior_treatments=[
            _prior(T.BUSPIRONE, "Buspirone 30 mg", True, N, date(2020, 1, 1), date(2020, 5, 1)),
            _prior(T.SSRI, "Citalopram 40 mg", True, R, date(2016, 1, 1), date(2017, 1, 1)),
        ],
    ),
    DemoPatient(
        "KF-000008",
        "Hugo",
        "Notreal",
        date(1987, 2, 17),
        "male",
        False,
        diagnoses=[_dx(Dx.SOCIAL_ANXIETY, True), _dx(Dx.DEPRESSION_RECURRENT)],
        history=[
            *_ABSENT_SCREEN,
            _hx(Hx.SUBSTANCE_USE_DISORDER, HistoryStatus.PAST, "Cannabis, stopped 2020"),
            _hx(Hx.LIVER_DISEASE, HistoryStatus.ABSENT),
        ],
        medications=[
            _med("Phenelzine", "45 mg daily", [Mc.MAOI, Mc.ANTIDEPRESSANT], date(2024, 4, 1)),
        ],
        prior_treatments=[
            _prior(T.SSRI, "Sertraline 200 mg", True, N, date(2019, 3, 1), date(2019, 10, 1)),
            _prior(T.SNRI, "Venlafaxine 225 mg", True, N, date(2020, 2, 1), date(2020, 9, 1)),
        ],
        imperial=True,
    ),
    DemoPatient(
        "KF-000009",
        "Iris",
        "Dummy",
        date(1993, 10, 25),
        "female",
        True,
        diagnoses=[_dx(Dx.PTSD, True), _dx(Dx.PANIC)],
        history=[*_ABSENT_SCREEN, _hx(Hx.URINARY_TRACT, HistoryStatus.ABSENT)],
        medications=[
            _med(
                "Lorazepam",
                "1 mg three times daily",
                [Mc.BENZODIAZEPINE],
                date(2025, 2, 1),
                diazepam_eq="30",
            ),
            _med("Sertraline", "100 mg once daily", _SSRI, date(2024, 8, 1)),
        ],
        prior_treatments=[
            _prior(
                T.TRAUMA_THERAPY, "EMDR, 10 sessions", True, P, date(2023, 1, 1), date(2023, 4, 1)
            ),
        ],
        allergies=[{"substance": "Codeine", "reaction": "Vomiting", "severity": "mild"}],
        pregnancy=_not_pregnant(),
    ),
    DemoPatient(
        "KF-000010",
        "Jude",
        "Pretend",
        date(1969, 4, 4),
        "male",
        False,
        diagnoses=[_dx(Dx.GAD, True, date(2001, 1, 1)), _dx(Dx.DEPRESSION_RECURRENT)],
        history=[
            *_ABSENT_SCREEN,
            _hx(Hx.CARDIAC_DISEASE, HistoryStatus.ABSENT),
            _hx(Hx.SLEEP_APNOEA, HistoryStatus.PAST, "Resolved after surgery 2019"),
        ],
        medications=[
            _med("Mirtazapine", "30 mg at night", _SSRI, date(2022, 11, 1)),
            _med("Levothyroxine", "100 micrograms daily", [Mc.THYROID_HORMONE], date(2015, 1, 1)),
        ],
        prior_treatments=[
            _prior(T.TCA, "Amitriptyline 100 mg", True, U, date(2012, 1, 1), date(2012, 3, 1)),
            _prior(T.SSRI, "Sertraline 200 mg", True, N, date(2014, 1, 1), date(2014, 9, 1)),
        ],
    ),
    DemoPatient(
        "KF-000011",
        "Kit",
        "Imaginary",
        date(2001, 6, 6),
        "intersex",
        True,
        diagnoses=[_dx(Dx.SOCIAL_ANXIETY_GENERALIZED, True), _dx(Dx.OCD_THOUGHTS)],
        history=[*_ABSENT_SCREEN],
        medications=[
            _med("Lamotrigine", "100 mg twice daily", [Mc.LAMOTRIGINE], date(2024, 3, 1)),
        ],
        prior_treatments=[
            _prior(
                T.CBT,
                "CBT for social anxiety",
                False,
                TreatmentOutcome.UNKNOWN,
                date(2023, 1, 1),
                date(2023, 2, 1),
            ),
        ],
        pregnancy=_not_pregnant(tested=False),
    ),
    DemoPatient(
        "KF-000012",
        "Lars",
        "Synthetic",
        date(1982, 9, 19),
        "male",
        False,
        diagnoses=[_dx(Dx.PANIC, True), _dx(Dx.GAD)],
        history=[
            *_ABSENT_SCREEN,
            _hx(Hx.HYPERTENSION, HistoryStatus.CURRENT, "Untreated; recheck before dosing"),
        ],
        medications=[
            _med(
                "Diazepam",
                "5 mg twice daily",
                [Mc.BENZODIAZEPINE],
                date(2025, 6, 1),
                diazepam_eq="10",
            ),
            _med(
                "Clarithromycin",
                "500 mg twice daily (course)",
                [Mc.CYP3A4_INHIBITOR],
                date(2026, 9, 20),
            ),
        ],
        prior_treatments=[
            _prior(T.SSRI, "Paroxetine 40 mg", True, N, date(2021, 1, 1), date(2021, 8, 1)),
            _prior(T.BENZODIAZEPINE, "Clonazepam", True, P, date(2022, 1, 1), date(2023, 1, 1)),
        ],
        imperial=True,
    ),
    DemoPatient(
        "KF-000013",
        "Mina",
        "Mockup",
        date(1997, 3, 3),
        "female",
        True,
        diagnoses=[_dx(Dx.PTSD_CHRONIC, True), _dx(Dx.DEPRESSION_RECURRENT_SEVERE)],
        history=[
            *_ABSENT_SCREEN,
            _hx(Hx.SUBSTANCE_USE_DISORDER, HistoryStatus.PAST, "Opioids; on naltrexone"),
        ],
        medications=[
            _med("Naltrexone", "50 mg once daily", [Mc.NALTREXONE], date(2022, 1, 1)),
            _med("Sertraline", "200 mg once daily", _SSRI, date(2023, 4, 1)),
        ],
        prior_treatments=[
            _prior(
                T.TRAUMA_THERAPY,
                "Cognitive processing therapy",
                True,
                N,
                date(2023, 6, 1),
                date(2023, 10, 1),
            ),
        ],
        allergies=[{"substance": "Ibuprofen", "reaction": "Wheeze", "severity": "moderate"}],
        pregnancy={
            "observed_on": date(2026, 10, 1),
            "pregnancy_status": PregnancyStatus.BREASTFEEDING,
            "test_done": False,
            "test_positive": None,
        },
    ),
    DemoPatient(
        "KF-000014",
        "Nico",
        "Facsimile",
        date(1990, 12, 1),
        "male",
        False,
        diagnoses=[_dx(Dx.OCD, True), _dx(Dx.GAD)],
        history=[*_ABSENT_SCREEN, _hx(Hx.HYPERTHYROIDISM, HistoryStatus.ABSENT)],
        medications=[
            _med("Clomipramine", "150 mg at night", _SSRI, date(2024, 1, 1)),
            _med("Methylphenidate XL", "36 mg each morning", [Mc.STIMULANT], date(2020, 1, 1)),
        ],
        prior_treatments=[
            _prior(T.SSRI, "Fluoxetine 60 mg", True, N, date(2021, 1, 1), date(2021, 9, 1)),
            _prior(T.EXPOSURE, "ERP, 16 sessions", True, N, date(2022, 1, 1), date(2022, 6, 1)),
        ],
    ),
    DemoPatient(
        "KF-000015",
        "Orla",
        "Invented",
        date(1985, 8, 28),
        "female",
        True,
        diagnoses=[_dx(Dx.SOCIAL_ANXIETY, True), _dx(Dx.PANIC)],
        history=[
            *_ABSENT_SCREEN,
            _hx(Hx.SLEEP_APNOEA, HistoryStatus.CURRENT, "Mild, no CPAP"),
        ],
        medications=[
            _med("Escitalopram", "10 mg once daily", _SSRI, date(2025, 1, 1)),
            _med("Zopiclone", "7.5 mg at night", [Mc.OTHER_CNS_DEPRESSANT], date(2025, 3, 1)),
        ],
        prior_treatments=[
            _prior(T.CBT, "CBT, 12 sessions", True, P, date(2020, 1, 1), date(2020, 4, 1)),
        ],
        pregnancy=_not_pregnant(),
        allergies_asked=False,  # the one chart whose banner says "Allergies not recorded"
    ),
)

SECOND_CLINIC_PATIENTS: tuple[DemoPatient, ...] = (
    # The same MRN as a patient in the main clinic: MRNs are unique per clinic only.
    DemoPatient(
        "KF-000001",
        "Pip",
        "Elsewhere",
        date(1990, 1, 1),
        "male",
        False,
        diagnoses=[_dx(Dx.GAD, True)],
        history=[*_ABSENT_SCREEN],
    ),
    DemoPatient(
        "KF-000002",
        "Quinn",
        "Otherplace",
        date(1994, 2, 2),
        "female",
        True,
        diagnoses=[_dx(Dx.PANIC, True)],
        history=[*_ABSENT_SCREEN],
        pregnancy=_not_pregnant(),
    ),
)


#: The oral programme's patient (`demo.oral`, MRN `ORAL_MRN` there), registered on the clock of
#: its story, not with the fifteen charts.
ORAL_PATIENT = DemoPatient(
    "KF-000016",
    "Otto",
    "Oralcase",
    date(1983, 9, 19),
    "male",
    False,
    diagnoses=[_dx(Dx.GAD, True, date(2012, 1, 1))],
    history=[
        *_ABSENT_SCREEN,
        _hx(Hx.HYPERTENSION, HistoryStatus.ABSENT),
    ],
    medications=[_med("Sertraline", "200 mg once daily", _SSRI, date(2024, 6, 1))],
    prior_treatments=[
        _prior(
            T.SSRI,
            "Escitalopram 20 mg",
            True,
            N,
            date(2019, 1, 1),
            date(2019, 8, 1),
        ),
        _prior(
            T.SNRI,
            "Venlafaxine 225 mg",
            True,
            N,
            date(2021, 2, 1),
            date(2021, 9, 1),
        ),
    ],
)


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.created.append(what)


def _clinic(spec: dict[str, str], report: SeedReport) -> Clinic:
    clinic, created = Clinic.objects.get_or_create(
        slug=spec["slug"],
        defaults={
            "name": spec["name"],
            "timezone": spec["timezone"],
            "is_synthetic": True,
            # Ofcom's range reserved for drama (01632 960000-960999): never a real phone.
            "phone": "01632 960000",
        },
    )
    if not clinic.is_synthetic:
        raise RuntimeError(
            f"Clinic {clinic.slug!r} exists and is not synthetic: refusing to seed demo data."
        )
    if created:
        report.note(f"clinic {clinic.name}")
    return clinic


#: The two demo clinics are one organisation, so emergency access (break-glass) can be shown:
#: the second clinic's prescriber ("north") is designated for it.
ORGANISATION = {"slug": "demo-health", "name": "Ketaflow Demo Health"}
BREAK_GLASS_DEMO_USER = "north"


def _organisation(clinics: Sequence[Clinic], designated: User, report: SeedReport) -> None:
    org, created = Organisation.objects.get_or_create(
        slug=ORGANISATION["slug"], defaults={"name": ORGANISATION["name"]}
    )
    if created:
        report.note(f"organisation {org.name}")
    for clinic in clinics:
        if clinic.organisation_id is None:
            clinic.organisation = org
            clinic.save(update_fields=["organisation"])
    if not designated.may_break_glass:
        designated.may_break_glass = True
        designated.save(update_fields=["may_break_glass"])


def _user(sign_in: DemoSignIn, clinic: Clinic, report: SeedReport) -> User:
    existing = User.objects.filter(username=sign_in.username).first()
    if existing is not None:
        if existing.clinic_id != clinic.pk:
            raise RuntimeError(
                f"User {sign_in.username!r} exists outside the demo clinic: refusing to seed."
            )
        return existing
    user = User(
        username=sign_in.username,
        role=sign_in.role,
        clinic=clinic,
        first_name=sign_in.first_name,
        last_name=sign_in.last_name,
        title=sign_in.title,
        email=f"{sign_in.username}@demo.ketaflow.example",
        is_superuser=sign_in.superuser,
        is_staff=sign_in.superuser,
    )
    validate_password(DEMO_PASSWORD, user)
    user.set_password(DEMO_PASSWORD)
    user.save()
    report.note(f"user {user.username}")
    return user


def _patient(actor: User, spec: DemoPatient, index: int, report: SeedReport) -> None:
    if Patient.objects.filter(clinic_id=actor.clinic_pk, mrn=spec.mrn).exists():
        return
    patient = register_patient(
        actor,
        is_synthetic=True,
        mrn=spec.mrn,
        given_name=spec.given_name,
        family_name=spec.family_name,
        date_of_birth=spec.date_of_birth,
        sex_at_birth=spec.sex_at_birth,
        can_become_pregnant=spec.can_become_pregnant,
        phone=f"07700 900{index:03d}",  # Ofcom's range reserved for drama: never a real phone
        email=f"{spec.given_name.lower()}.{spec.family_name.lower()}@example.org",
        address=f"{index} Example Street, Demo Town",
        emergency_contact_name=f"Contact of {spec.given_name} {spec.family_name}",
    )
    entries: list[tuple[str, dict[str, Any]]] = [
        *(("diagnoses", d) for d in spec.diagnoses),
        *(("history", h) for h in spec.history),
        *(("medications", m) for m in spec.medications),
        *(("prior-treatments", p) for p in spec.prior_treatments),
        *(("allergies", a) for a in spec.allergies),
        *(
            [("allergies", {"no_known_allergies": True})]
            if not spec.allergies and spec.allergies_asked
            else []
        ),
    ]
    clinic_slug = Clinic.objects.get(pk=actor.clinic_pk).slug
    rng = random.Random(f"{RANDOM_SEED}:{clinic_slug}:{spec.mrn}")  # same chart every run
    male = spec.sex_at_birth == "male"
    height_cm = Decimal(rng.randint(172, 190) if male else rng.randint(155, 175))
    weight_kg = Decimal(rng.randint(68, 104) if male else rng.randint(50, 88))
    if spec.imperial:
        weight = {
            "entered_value": (weight_kg / Decimal("0.45359237")).quantize(Decimal("1")),
            "entered_unit": "lb",
        }
        height = {
            "entered_value": (height_cm / Decimal("2.54")).quantize(Decimal("1")),
            "entered_unit": "in",
        }
    else:
        weight = {"entered_value": weight_kg, "entered_unit": "kg"}
        height = {"entered_value": height_cm, "entered_unit": "cm"}
    measured = date(2026, 9, 1 + index % 28)
    entries += [
        ("measurements", {"kind": "weight", "measured_on": measured, **weight}),
        ("measurements", {"kind": "height", "measured_on": measured, **height}),
    ]
    if spec.pregnancy is not None:
        entries.append(("pregnancy", spec.pregnancy))
    for slug, data in entries:
        add_entry(actor, patient, slug, data)
    report.note(f"patient {spec.mrn} in {actor.clinic}")


def _seed_outcomes_portal_and_monitors(
    clinic: Clinic, users: dict[str, User], report: SeedReport, *, history: bool
) -> None:
    """A past of completed courses (outcome charts), the patient portal, bedside monitors.

    The past is written by the synthetic bulk writer (back-dated, which the services rightly
    refuse), so its patients are marked synthetic and get MRNs "KF-H…".
    """
    from django.utils import timezone

    from ketaflow.demo.devices import seed_demo_devices
    from ketaflow.demo.history import seed_outcome_history
    from ketaflow.demo.portal import seed_portal_demo

    for line in seed_outcome_history(clinic) if history else ():
        report.note(line)
    for binding in seed_demo_devices(clinic, users["admin"], now=timezone.now()):
        report.note(f"monitor binding {binding}")
    seed_portal_demo(clinic, nurse=users["nurse"], note=report.note)


class DemoRefusedInProduction(RuntimeError):
    """The demo's sign-ins have a published password: never on a production database."""


def seed_demo(*, history: bool = True) -> SeedReport:
    """Create whatever part of the demo is missing; existing demo records are left alone.

    Refused when KETAFLOW_ENV=production: the demo creates a superuser and staff whose
    password is printed in the README.
    """
    # Imported here: the process module reads this module's patients.
    from ketaflow.demo.oral import seed_oral, set_up_first
    from ketaflow.demo.process import seed_process

    if settings.PRODUCTION:
        raise DemoRefusedInProduction(
            "seed-demo is refused when KETAFLOW_ENV=production: the demo's sign-ins (a "
            "superuser among them) have a published password. Seed a development database."
        )
    report = SeedReport()
    ctx = context.RequestContext(
        ip_address=None,
        user_agent="ketaflow seed-demo",
        request_id=context.new_request_id(),
        path="",
        channel="cli",
    )
    token = context.activate(ctx)
    try:
        with transaction.atomic():
            clinics = {spec["slug"]: _clinic(spec, report) for spec in (MAIN_CLINIC, SECOND_CLINIC)}
            users = {s.username: _user(s, clinics[s.clinic_slug], report) for s in SIGN_INS}
            _organisation(list(clinics.values()), users[BREAK_GLASS_DEMO_USER], report)
            for index, spec in enumerate(PATIENTS, start=1):
                _patient(users["prescriber"], spec, index, report)
            for index, spec in enumerate(SECOND_CLINIC_PATIENTS, start=1):
                _patient(users["north"], spec, index, report)
            main = clinics[MAIN_CLINIC["slug"]]
            set_up_first(main, users, report.note)  # dated before the oral patient's story
            seed_process(main, users, report.note)
            _seed_outcomes_portal_and_monitors(main, users, report, history=history)
            seed_oral(  # after the portal's: that picks the first course with treatment given
                main,
                users,
                report.note,
                register=lambda: _patient(users["prescriber"], ORAL_PATIENT, 16, report),
            )
    finally:
        context.reset(token)
    return report
