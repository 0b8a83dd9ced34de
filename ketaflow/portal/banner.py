"""The patient banner: who this is and what must not be missed, on every page about one patient.

One read for the banner drawn by `{% patient_banner patient %}` (`portal_tags`) at the top of
the chart, screening, consent, course, session, outcome, safety and portal-link pages: name,
date of birth and MRN for every role that may open the page; for roles that read clinical data
(VIEW_CLINICAL) also the allergy line and the standing risk flags:

- an open suicide-risk alert (`treatments.risk.alerts_awaiting_assessment`, the one home of
  which alerts still wait for a prescriber's assessment);
- a positive urinary symptom (LUTS) screen (the core's long-term safety flags over the
  patient's screens, read through `safety.derive` as the safety page reads them);
- interaction cautions of the current medications (the core's
  `eligibility.medication_cautions`, under the current course's route and criteria, the same
  rule eligibility reviews apply).

Why in the portal app: it is the lowest layer that may read questionnaires, safety, screening
and treatments together. Not audited separately: drawn only inside a page whose view
recorded the patient read, like the risk flag. A fixed number of queries, whatever the chart
holds (a test bounds it).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.clinical.eligibility import DEFAULT_CRITERIA, medication_cautions
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.long_term_safety import Check, flags
from ketaflow.clinical.routes import Route
from ketaflow.courses.models import ProtocolVersion
from ketaflow.lib.clock import clinic_today
from ketaflow.patients.models import Allergy, Medication, Patient
from ketaflow.patients.selectors import AllergyLine, allergy_line
from ketaflow.questionnaires.models import RiskAlert
from ketaflow.safety.derive import current_course, last_results, rules_of
from ketaflow.safety.models import LutsScreen
from ketaflow.screening.derive import current_medications
from ketaflow.screening.protocols import criteria_for
from ketaflow.treatments.risk import alerts_awaiting_assessment


@dataclass(frozen=True)
class BannerFlag:
    """One standing flag, in words. `tone` is a style hook only ("red", "amber")."""

    title: str
    detail: str
    tone: str = "amber"


@dataclass(frozen=True)
class Banner:
    patient: Patient
    clinical: bool  # the viewer may see allergies and flags
    allergies: AllergyLine | None = None
    risk_alerts: tuple[RiskAlert, ...] = ()
    flags: tuple[BannerFlag, ...] = field(default_factory=tuple)


def _luts_flag(screens: list[LutsScreen], version: ProtocolVersion | None) -> BannerFlag | None:
    rules = rules_of(version)
    results = last_results((), screens, (), rules)
    for f in flags(results, rules):
        if f.check is Check.LUTS:
            return BannerFlag(
                "Positive urinary symptom (LUTS) screen",
                f"{f.on:%-d %b %Y}: {f.message}",
                "red",
            )
    return None


def _interaction_flags(
    rows: list[Medication], patient: Patient, version: ProtocolVersion | None, route: Route | None
) -> list[BannerFlag]:
    today = clinic_today(patient.clinic)
    try:
        medications = current_medications(rows, today)
    except ClinicalInputError as exc:
        return [BannerFlag("Medication list incomplete", f"{exc}; interactions not checked.")]
    criteria = DEFAULT_CRITERIA
    if version is not None:
        # a bad stored protocol never hides the default cautions
        with contextlib.suppress(ClinicalInputError):
            criteria = criteria_for(version.load())
    found = medication_cautions(medications, route, criteria)
    return [BannerFlag("Interaction caution", f.message[:1].upper() + f.message[1:]) for f in found]


def patient_banner(actor: User | None, patient: Patient, now: datetime) -> Banner:
    """The banner of one patient for this viewer (at most eight queries)."""
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or patient.clinic_id != actor.clinic_id
        or not actor.can(Capability.VIEW_CLINICAL)
    ):
        return Banner(patient, clinical=False)
    active = RecordStatus.ACTIVE
    allergies = list(Allergy.objects.filter(patient=patient, status=active).order_by("substance"))
    waiting = tuple(alerts_awaiting_assessment(patient.pk, now))
    course = current_course(patient)
    version = course.protocol_version if course is not None else None
    route: Route | None = None
    if version is not None:
        try:
            route = Route(version.route)
        except ValueError:
            route = None
    screens = list(LutsScreen.objects.filter(patient=patient))
    meds = list(Medication.objects.filter(patient=patient, status=active))
    found: list[BannerFlag] = []
    luts = _luts_flag(screens, version)
    if luts is not None:
        found.append(luts)
    found.extend(_interaction_flags(meds, patient, version, route))
    return Banner(patient, True, allergy_line(allergies), waiting, tuple(found))


__all__ = ["Banner", "BannerFlag", "patient_banner"]
