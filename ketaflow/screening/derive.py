"""The chart as the core's `PatientFacts`, as known at a moment, and what changed since.

`chart_facts(patient, at, protocol)` reads each chart table as it stood at `at` (from its
history, so an entry withdrawn later still counts for a review opened before) and maps the
app's codes onto the core's. The JSON `snapshot` is what a review stores and fingerprints;
`stale_reasons(old, new)` says in words which eligibility facts differ.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from ketaflow.audit.history import RecordStatus
from ketaflow.clinical.eligibility import (
    BloodPressure,
    ClearanceItem,
    DrugClass,
    HistoryItem,
    Medication,
    PatientFacts,
    PregnancyStatus,
    PriorTreatment,
    TreatmentKind,
    clearance_read_by_conditions,
)
from ketaflow.clinical.instruments import get_instrument
from ketaflow.clinical.protocols import Protocol
from ketaflow.clinical.routes import Sex
from ketaflow.patients import codes
from ketaflow.patients import models as chart
from ketaflow.questionnaires.models import BASELINE_CONTEXTS
from ketaflow.questionnaires.selectors import latest_scores
from ketaflow.safety.models import LutsScreen, ReviewKind, ReviewOutcome, SafetyReview
from ketaflow.screening.models import ObservationKind, ObservationResult, ScreeningObservation
from ketaflow.screening.protocols import criteria_for

_CURRENT = codes.HistoryStatus.CURRENT
_PAST = codes.HistoryStatus.PAST
# Chart history condition → core item, for a condition present now and one in the past.
HISTORY_MAP: dict[str, tuple[HistoryItem | None, HistoryItem | None]] = {
    codes.HistoryCondition.PSYCHOSIS: (HistoryItem.PSYCHOSIS_CURRENT, HistoryItem.PSYCHOSIS_PAST),
    codes.HistoryCondition.MANIA: (HistoryItem.MANIA_CURRENT, HistoryItem.MANIA),
    codes.HistoryCondition.SUBSTANCE_USE_DISORDER: (
        HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT,
        HistoryItem.SUBSTANCE_USE_DISORDER,
    ),
    # Ketamine or PCP misuse excludes whether current or past (the rule's docstring says why).
    codes.HistoryCondition.KETAMINE_MISUSE: (
        HistoryItem.KETAMINE_PCP_MISUSE,
        HistoryItem.KETAMINE_PCP_MISUSE,
    ),
    codes.HistoryCondition.HYPERTENSION: (HistoryItem.HYPERTENSION, HistoryItem.HYPERTENSION),
    codes.HistoryCondition.ANEURYSM_AVM: (HistoryItem.ANEURYSM_OR_AVM, HistoryItem.ANEURYSM_OR_AVM),
    codes.HistoryCondition.INTRACEREBRAL_HAEMORRHAGE: (
        HistoryItem.INTRACEREBRAL_HAEMORRHAGE,
        HistoryItem.INTRACEREBRAL_HAEMORRHAGE,
    ),
    codes.HistoryCondition.STROKE: (HistoryItem.STROKE, HistoryItem.STROKE),
    codes.HistoryCondition.RAISED_ICP: (
        HistoryItem.RAISED_INTRACRANIAL_PRESSURE,
        HistoryItem.CEREBRAL_TRAUMA,
    ),
    codes.HistoryCondition.RAISED_IOP: (HistoryItem.GLAUCOMA, HistoryItem.GLAUCOMA),
    codes.HistoryCondition.EPILEPSY: (HistoryItem.EPILEPSY, HistoryItem.EPILEPSY),
    codes.HistoryCondition.LIVER_DISEASE: (HistoryItem.LIVER_DISEASE, HistoryItem.LIVER_DISEASE),
    # Hepatic impairment does not go away when the chart calls it past: same item either way.
    codes.HistoryCondition.LIVER_CHILD_PUGH_A: (
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_A,
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_A,
    ),
    codes.HistoryCondition.LIVER_CHILD_PUGH_B: (
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_B,
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_B,
    ),
    codes.HistoryCondition.LIVER_CHILD_PUGH_C: (
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_C,
        HistoryItem.LIVER_DISEASE_CHILD_PUGH_C,
    ),
    codes.HistoryCondition.SLEEP_APNOEA: (HistoryItem.SLEEP_APNOEA, HistoryItem.SLEEP_APNOEA),
    codes.HistoryCondition.CARDIAC_DISEASE: (
        HistoryItem.SEVERE_CARDIAC_DISEASE,
        HistoryItem.CARDIOVASCULAR_DISEASE,
    ),
    codes.HistoryCondition.HYPERTHYROIDISM: (
        HistoryItem.HYPERTHYROIDISM_UNCONTROLLED,
        HistoryItem.HYPERTHYROIDISM_TREATED,
    ),
    codes.HistoryCondition.PRE_ECLAMPSIA: (HistoryItem.PRE_ECLAMPSIA, None),
    codes.HistoryCondition.KETAMINE_HYPERSENSITIVITY: (
        HistoryItem.HYPERSENSITIVITY_KETAMINE,
        HistoryItem.HYPERSENSITIVITY_KETAMINE,
    ),
    codes.HistoryCondition.URINARY_TRACT: (
        HistoryItem.LUTS_OR_CYSTITIS,
        HistoryItem.LUTS_OR_CYSTITIS,
    ),
}
_DRUG_CLASSES = {c.value: c for c in DrugClass}
PREGNANCY_MAP = {
    codes.PregnancyStatus.NOT_APPLICABLE: PregnancyStatus.NOT_APPLICABLE,
    codes.PregnancyStatus.NOT_PREGNANT: PregnancyStatus.NOT_PREGNANT,
    codes.PregnancyStatus.PREGNANT: PregnancyStatus.PREGNANT,
    codes.PregnancyStatus.BREASTFEEDING: PregnancyStatus.BREASTFEEDING,
    codes.PregnancyStatus.PLANNING: PregnancyStatus.NOT_PREGNANT,  # + planning_pregnancy
    codes.PregnancyStatus.UNKNOWN: PregnancyStatus.UNKNOWN,
}
#: Recorded statuses a newer negative pregnancy test turns into "not pregnant".
SETTLED_BY_NEGATIVE_TEST = {
    codes.PregnancyStatus.UNKNOWN,
    codes.PregnancyStatus.NOT_PREGNANT,
    codes.PregnancyStatus.PLANNING,
}
OUTCOME_MAP = codes.CORE_OUTCOME
PSYCHOTHERAPIES = {
    codes.TreatmentKind.CBT,
    codes.TreatmentKind.EXPOSURE,
    codes.TreatmentKind.TRAUMA_THERAPY,
    codes.TreatmentKind.OTHER_THERAPY,
}


def _as_of(model: Any, patient_id: int, at: datetime) -> QuerySet[Any]:
    """The patient's rows of a history-tracked chart model as they stood at `at`, live only."""
    rows = (
        model.history.filter(patient_id=patient_id, history_date__lte=at)
        .latest_of_each()
        .as_instances()
    )
    return rows.exclude(status=RecordStatus.ENTERED_IN_ERROR)


@dataclass(frozen=True)
class ChartFacts:
    """The core's facts, their JSON snapshot, and where each came from (for display)."""

    facts: PatientFacts
    snapshot: dict[str, Any]
    provenance: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.snapshot)


def fingerprint(snapshot: dict[str, Any]) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def current_medications(rows: Iterable[chart.Medication], day: date) -> list[Medication]:
    """The chart's medication rows taken on `day` as the core's medications, sorted by name.

    Read by `chart_facts` and by the patient banner's interaction cautions. A stored row the
    core refuses (a benzodiazepine without its dose) raises ClinicalInputError.
    """
    medications = []
    for med in rows:
        started, stopped = med.started_on, med.stopped_on
        if med.status != RecordStatus.ACTIVE or (started and started > day):
            continue
        if stopped and stopped <= day:
            continue
        classes = frozenset(_DRUG_CLASSES[c] for c in med.classes or () if c in _DRUG_CLASSES)
        dose = med.diazepam_equivalent_mg_per_day
        medications.append(
            Medication(med.name.strip(), classes, float(dose) if dose is not None else None)
        )
    medications.sort(key=lambda m: m.name.casefold())
    return medications


def chart_facts(patient: chart.Patient, at: datetime, protocol: Protocol) -> ChartFacts:
    """Build `PatientFacts` from the chart at `at`; ClinicalInputError if the chart is invalid."""
    day = timezone.localtime(at).date()
    pid = patient.pk
    provenance: dict[str, Any] = {}

    diagnoses = sorted(
        {d.icd10 for d in _as_of(chart.Diagnosis, pid, at) if d.status == RecordStatus.ACTIVE}
    )

    history: set[HistoryItem] = set()
    for item in _as_of(chart.HistoryItem, pid, at):
        if item.presence == codes.HistoryStatus.ABSENT:
            continue
        now, past = HISTORY_MAP.get(item.condition, (None, None))
        present = item.presence == _CURRENT and item.status == RecordStatus.ACTIVE
        mapped = now if present else past
        if mapped is not None:
            history.add(mapped)

    settles = criteria_for(protocol).negative_pregnancy_test_settles_days.value
    pregnancy, pregnancy_source = _pregnancy(patient, at, history, settles_days=settles)
    provenance["pregnancy"] = pregnancy_source

    medications = current_medications(_as_of(chart.Medication, pid, at), day)

    treatments = []
    for t in _as_of(chart.PriorTreatment, pid, at):
        outcome = OUTCOME_MAP.get(t.outcome)
        if outcome is None:  # outcome unknown: cannot count either way
            continue
        kind = (
            TreatmentKind.PSYCHOTHERAPY
            if t.kind in PSYCHOTHERAPIES
            else TreatmentKind.PHARMACOTHERAPY
        )
        treatments.append(PriorTreatment(t.name.strip(), kind, t.adequate, outcome))
    treatments.sort(key=lambda t: (t.name.casefold(), t.outcome.value))

    observations = list(_as_of(ScreeningObservation, pid, at).filter(observed_at__lte=at))
    observations.sort(key=lambda o: (o.observed_at, o.pk), reverse=True)
    bp_obs = next((o for o in observations if o.kind == ObservationKind.RESTING_BP), None)
    blood_pressure = None
    if bp_obs is not None and bp_obs.systolic and bp_obs.diastolic:
        blood_pressure = BloodPressure(bp_obs.systolic, bp_obs.diastolic)
        provenance["blood_pressure"] = {"observed_at": bp_obs.observed_at.isoformat()}
    clearance: set[ClearanceItem] = set()
    clearance_dates: dict[str, str] = {}
    by_value = {c.value: c for c in ClearanceItem}
    for obs in observations:
        item = by_value.get(obs.kind)
        if item is not None and item not in clearance:
            clearance.add(item)
            clearance_dates[item.value] = obs.observed_at.isoformat()
    read = clearance_read_by_conditions(diagnoses, history)
    if ClearanceItem.LUTS_SCREEN in read:
        screens = [s for s in _as_of(LutsScreen, pid, at) if s.screened_on <= day]
        if screens:
            clearance.add(ClearanceItem.LUTS_SCREEN)
            clearance_dates["luts_screen"] = max(s.screened_on for s in screens).isoformat()
    if ClearanceItem.SUBSTANCE_USE_REVIEW in read:
        reviews = [
            r
            for r in _as_of(SafetyReview, pid, at)
            if r.kind == ReviewKind.SUBSTANCE_USE and r.reviewed_on <= day
        ]
        latest = max(reviews, key=lambda r: (r.reviewed_on, r.pk), default=None)
        if latest is not None and latest.outcome != ReviewOutcome.CONCERN_REFER:
            clearance.add(ClearanceItem.SUBSTANCE_USE_REVIEW)
            clearance_dates["substance_use_review"] = latest.reviewed_on.isoformat()
    if pregnancy_source.get("test_done") and ClearanceItem.PREGNANCY_TEST not in clearance:
        clearance.add(ClearanceItem.PREGNANCY_TEST)
        clearance_dates["pregnancy_test"] = str(pregnancy_source.get("observed_on"))
    provenance["clearance_done"] = clearance_dates

    scores: dict[str, float] = {}
    score_sources: dict[str, Any] = {}
    for code, response in latest_scores(patient, at, BASELINE_CONTEXTS).items():
        if response.total is None:
            continue
        scores[code] = float(response.total)
        score_sources[code] = {
            "response_id": response.pk,
            "administered_at": response.administered_at.isoformat(),
        }
    provenance["severity_scores"] = score_sources

    facts = PatientFacts(
        age_years=patient.age_on(day),
        sex=_sex(patient),
        pregnancy=pregnancy,
        planned_route=protocol.route,
        diagnoses=tuple(diagnoses),
        history=frozenset(history),
        medications=tuple(medications),
        blood_pressure=blood_pressure,
        severity_scores=scores,
        prior_treatments=tuple(treatments),
        clearance_done=frozenset(clearance),
    )
    return ChartFacts(facts, snapshot_of(facts), provenance)


def _sex(patient: chart.Patient) -> Sex:
    """Eligibility does not read sex; the core needs one value (weight formulas use it)."""
    if patient.sex_at_birth == codes.SexAtBirth.MALE:
        return Sex.MALE
    if patient.sex_at_birth == codes.SexAtBirth.FEMALE:
        return Sex.FEMALE
    return Sex.FEMALE if patient.can_become_pregnant else Sex.MALE


def _pregnancy(
    patient: chart.Patient, at: datetime, history: set[HistoryItem], *, settles_days: int
) -> tuple[PregnancyStatus, dict[str, Any]]:
    """Latest pregnancy record (or a newer test) as of `at`; planning adds history.

    A positive test on or after the record's day makes the status pregnant; a negative one
    taken in the last `settles_days` (the criteria's clinic default) settles a status not
    known (or none recorded) as not pregnant, so screening does not ask again what a recent
    test has answered. An older negative test answers nothing about today.
    """
    fresh_from = timezone.localtime(at).date() - timedelta(days=settles_days)
    records = sorted(
        _as_of(chart.PregnancyRecord, patient.pk, at),
        key=lambda r: (r.observed_on, r.recorded_at),
        reverse=True,
    )
    tests = (
        _as_of(ScreeningObservation, patient.pk, at)
        .filter(kind=ObservationKind.PREGNANCY_TEST, observed_at__lte=at)
        .order_by("-observed_at")
    )
    test = next(iter(tests), None)
    record = records[0] if records else None
    source: dict[str, Any] = {}
    if record is not None:
        source = {
            "record_id": record.pk,
            "observed_on": record.observed_on.isoformat(),
            "test_done": record.test_done,
        }
    test_day = timezone.localtime(test.observed_at).date() if test is not None else None
    newer = record is None or test_day is None or test_day >= record.observed_on
    if test is not None and test.result == ObservationResult.POSITIVE and newer:
        source["positive_test_at"] = test.observed_at.isoformat()
        return PregnancyStatus.PREGNANT, source
    status = record.pregnancy_status if record is not None else None
    if record is not None and record.test_done and record.test_positive:
        return PregnancyStatus.PREGNANT, source
    if status == codes.PregnancyStatus.PLANNING:
        history.add(HistoryItem.PLANNING_PREGNANCY)
    # A negative test settles a status not known (or not recorded) for someone who can become
    # pregnant; it never overrides a recorded pregnancy or breast-feeding (amend those).
    may_settle = status in SETTLED_BY_NEGATIVE_TEST or (
        record is None and patient.can_become_pregnant
    )
    negative = test is not None and test.result == ObservationResult.NEGATIVE
    if may_settle and negative and newer and test_day is not None and test_day >= fresh_from:
        assert test is not None
        source["negative_test_at"] = test.observed_at.isoformat()
        return PregnancyStatus.NOT_PREGNANT, source
    if (
        may_settle
        and record is not None
        and record.test_done
        and record.test_positive is False
        and record.observed_on >= fresh_from
    ):
        source["negative_test_on"] = record.observed_on.isoformat()
        return PregnancyStatus.NOT_PREGNANT, source
    if record is not None:
        return PREGNANCY_MAP.get(record.pregnancy_status, PregnancyStatus.UNKNOWN), source
    if not patient.can_become_pregnant:
        return PregnancyStatus.NOT_APPLICABLE, source
    return PregnancyStatus.UNKNOWN, source


def snapshot_of(facts: PatientFacts) -> dict[str, Any]:
    """The facts as plain sorted JSON: equal facts give equal snapshots and fingerprints."""
    bp = facts.blood_pressure
    return {
        "age_years": facts.age_years,
        "pregnancy": facts.pregnancy.value,
        "planned_route": facts.planned_route.value,
        "diagnoses": sorted(facts.diagnoses),
        "history": sorted(h.value for h in facts.history),
        "medications": [
            {
                "name": m.name,
                "classes": sorted(c.value for c in m.classes),
                "diazepam_equivalent_mg_per_day": m.diazepam_equivalent_mg_per_day,
            }
            for m in facts.medications
        ],
        "blood_pressure": None
        if bp is None
        else {"systolic": bp.systolic, "diastolic": bp.diastolic},
        "severity_scores": dict(sorted(facts.severity_scores.items())),
        "prior_treatments": [
            {
                "name": t.name,
                "kind": t.kind.value,
                "adequate": t.adequate,
                "outcome": t.outcome.value,
            }
            for t in facts.prior_treatments
        ],
        "clearance_done": sorted(c.value for c in facts.clearance_done),
    }


# ---------------------------------------------------------------- describing facts and changes


def words(value: str) -> str:
    return value.replace("_", " ")


def _bp(value: dict[str, int] | None) -> str:
    return "none recorded" if not value else f"{value['systolic']}/{value['diastolic']} mmHg"


def _med(m: dict[str, Any]) -> str:
    parts = [words(c) for c in m["classes"]]
    if m.get("diazepam_equivalent_mg_per_day") is not None:
        parts.append(f"{m['diazepam_equivalent_mg_per_day']:g} mg diazepam-equivalent/day")
    return m["name"] + (f" ({'; '.join(parts)})" if parts else "")


def _treatment(t: dict[str, Any]) -> str:
    adequate = {True: "adequate", False: "not adequate"}.get(t["adequate"], "adequacy not known")
    return f"{t['name']} ({adequate}, {words(t['outcome'])})"


def _instrument_name(code: str) -> str:
    try:
        return get_instrument(code).name
    except Exception:  # an instrument the core no longer knows: show its code
        return code


def describe_fact(name: str, snapshot: dict[str, Any]) -> str:
    """One fact of a snapshot in words, for showing next to the findings that read it."""
    value = snapshot.get(name)
    if name == "blood_pressure":
        return f"resting BP {_bp(value)}"
    if name == "medications":
        return "medications: " + ("; ".join(_med(m) for m in value) if value else "none")
    if name == "prior_treatments":
        return "prior treatments: " + (
            "; ".join(_treatment(t) for t in value) if value else "none recorded"
        )
    if name == "severity_scores":
        shown = [f"{_instrument_name(k)} {v:g}" for k, v in (value or {}).items()]
        return "baseline scores: " + (", ".join(shown) if shown else "none recorded")
    if name in ("diagnoses", "history", "clearance_done"):
        label = {"clearance_done": "clearance done"}.get(name, name)
        return f"{label}: " + (", ".join(words(v) for v in value) if value else "none")
    if name == "age_years":
        return f"age {value}"
    if value is None:
        return f"{words(name)}: not recorded"
    return f"{words(name)}: {words(str(value))}"


def _set_changes(label: str, old: list[str], new: list[str]) -> list[str]:
    reasons = []
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    if added:
        reasons.append(f"{label} added: {', '.join(words(v) for v in added)}")
    if removed:
        reasons.append(f"{label} removed: {', '.join(words(v) for v in removed)}")
    return reasons


def stale_reasons(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed between two snapshots, in words; empty when nothing that feeds
    eligibility differs."""
    reasons: list[str] = []
    if old.get("age_years") != new.get("age_years"):
        reasons.append(f"age is now {new.get('age_years')} (was {old.get('age_years')})")
    if old.get("pregnancy") != new.get("pregnancy"):
        reasons.append(
            f"pregnancy status changed from {words(str(old.get('pregnancy')))} to "
            f"{words(str(new.get('pregnancy')))}"
        )
    if old.get("planned_route") != new.get("planned_route"):
        reasons.append(f"planned route changed to {new.get('planned_route')}")
    reasons += _set_changes("diagnosis", old.get("diagnoses", []), new.get("diagnoses", []))
    reasons += _set_changes("history", old.get("history", []), new.get("history", []))
    reasons += _medication_changes(old.get("medications", []), new.get("medications", []))
    if old.get("blood_pressure") != new.get("blood_pressure"):
        reasons.append(
            f"resting BP is now {_bp(new.get('blood_pressure'))} "
            f"(was {_bp(old.get('blood_pressure'))})"
        )
    old_scores, new_scores = old.get("severity_scores", {}), new.get("severity_scores", {})
    for code in sorted(set(old_scores) | set(new_scores)):
        before, after = old_scores.get(code), new_scores.get(code)
        if before != after:
            name = _instrument_name(code)
            if before is None:
                reasons.append(f"new baseline {name} score: {after:g}")
            elif after is None:
                reasons.append(f"baseline {name} score withdrawn (was {before:g})")
            else:
                reasons.append(f"baseline {name} is now {after:g} (was {before:g})")
    old_t = [_treatment(t) for t in old.get("prior_treatments", [])]
    new_t = [_treatment(t) for t in new.get("prior_treatments", [])]
    reasons += _set_changes("prior treatment", old_t, new_t)
    for item in sorted(set(new.get("clearance_done", [])) - set(old.get("clearance_done", []))):
        reasons.append(f"clearance now recorded: {words(item)}")
    for item in sorted(set(old.get("clearance_done", [])) - set(new.get("clearance_done", []))):
        reasons.append(f"clearance no longer recorded: {words(item)}")
    return reasons


def _medication_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    reasons = []
    before = {m["name"].casefold(): m for m in old}
    after = {m["name"].casefold(): m for m in new}
    for key in sorted(set(after) - set(before)):
        reasons.append(f"new medication: {_med(after[key])}")
    for key in sorted(set(before) - set(after)):
        reasons.append(f"medication stopped or withdrawn: {_med(before[key])}")
    for key in sorted(set(before) & set(after)):
        if before[key] != after[key]:
            reasons.append(f"medication changed: {_med(after[key])} (was {_med(before[key])})")
    return reasons
