"""Patient facts from plain JSON-like data (scripts, audits, `ketaflow eligibility`).

Pure: takes already-decoded data, returns `PatientFacts` or raises `ClinicalInputError`
naming the field at fault (nested fields as `medications[0].classes`). Unknown fields and
values are refused, never ignored: a typo must not silently drop an exclusion.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from ketaflow.clinical.eligibility.facts import (
    INSTRUMENT_MAX_SCORES,
    BloodPressure,
    ClearanceItem,
    DrugClass,
    HistoryItem,
    Medication,
    PatientFacts,
    PregnancyStatus,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route, Sex

E = TypeVar("E", bound=enum.Enum)

REQUIRED = ("age_years", "sex", "pregnancy", "planned_route")
OPTIONAL = (
    "diagnoses",
    "history",
    "medications",
    "blood_pressure",
    "severity_scores",
    "failed_adequate_treatments",
    "clearance_done",
)
_MEDICATION_FIELDS = ("name", "classes", "diazepam_equivalent_mg_per_day")
_BP_FIELDS = ("sbp", "dbp")


def _fail(field: str, message: str) -> ClinicalInputError:
    return ClinicalInputError(message, field=field or None)


def _object(value: Any, field: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(field, "must be an object")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise _fail(
            f"{field}.{unknown[0]}" if field else unknown[0],
            f"unknown field; expected one of: {', '.join(allowed)}",
        )
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(field, "must be a list")
    return value


def _choice(kind: type[E], value: Any, field: str) -> E:
    allowed = [m.value for m in kind]
    if not isinstance(value, str) or value not in allowed:
        raise _fail(field, f"{value!r} is not one of: {', '.join(allowed)}")
    return kind(value)


def _choices(kind: type[E], value: Any, field: str) -> frozenset[E]:
    return frozenset(
        _choice(kind, item, f"{field}[{i}]") for i, item in enumerate(_list(value, field))
    )


def _integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, f"must be a whole number, not {value!r}")
    return value


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(field, f"must be a number, not {value!r}")
    return float(value)


def _medication(value: Any, field: str) -> Medication:
    med = _object(value, field, _MEDICATION_FIELDS)
    name = med.get("name")
    if not isinstance(name, str):
        raise _fail(f"{field}.name", "every medication needs a name")
    dose = med.get("diazepam_equivalent_mg_per_day")
    try:
        return Medication(
            name,
            _choices(DrugClass, med.get("classes", []), f"{field}.classes"),
            None if dose is None else _number(dose, f"{field}.diazepam_equivalent_mg_per_day"),
        )
    except ClinicalInputError as exc:
        if exc.field == "medications":
            raise _fail(field, exc.message) from exc
        raise


def _blood_pressure(value: Any) -> BloodPressure | None:
    if value is None:
        return None
    bp = _object(value, "blood_pressure", _BP_FIELDS)
    for name in _BP_FIELDS:
        if name not in bp:
            raise _fail(f"blood_pressure.{name}", "is required")
    return BloodPressure(
        _integer(bp["sbp"], "blood_pressure.sbp"), _integer(bp["dbp"], "blood_pressure.dbp")
    )


def _scores(value: Any) -> dict[str, float]:
    """Known instruments only: a misspelt code would silently drop a baseline score."""
    scores = _object(value, "severity_scores", tuple(INSTRUMENT_MAX_SCORES))
    return {str(k): _number(v, f"severity_scores.{k}") for k, v in scores.items()}


def facts_from_data(data: Any) -> PatientFacts:
    """`PatientFacts` from decoded JSON; `ClinicalInputError(field=...)` for anything wrong."""
    record = _object(data, "", (*REQUIRED, *OPTIONAL))
    for name in REQUIRED:
        if name not in record:
            raise _fail(name, "is required")
    diagnoses = _list(record.get("diagnoses", []), "diagnoses")
    for i, code in enumerate(diagnoses):
        if not isinstance(code, str):
            raise _fail(f"diagnoses[{i}]", f"must be an ICD-10 code, not {code!r}")
    failed = record.get("failed_adequate_treatments")
    return PatientFacts(
        age_years=_integer(record["age_years"], "age_years"),
        sex=_choice(Sex, record["sex"], "sex"),
        pregnancy=_choice(PregnancyStatus, record["pregnancy"], "pregnancy"),
        planned_route=_choice(Route, record["planned_route"], "planned_route"),
        diagnoses=tuple(diagnoses),
        history=_choices(HistoryItem, record.get("history", []), "history"),
        medications=tuple(
            _medication(m, f"medications[{i}]")
            for i, m in enumerate(_list(record.get("medications", []), "medications"))
        ),
        blood_pressure=_blood_pressure(record.get("blood_pressure")),
        severity_scores=_scores(record.get("severity_scores", {})),
        failed_adequate_treatments=(
            None if failed is None else _integer(failed, "failed_adequate_treatments")
        ),
        clearance_done=_choices(ClearanceItem, record.get("clearance_done", []), "clearance_done"),
    )
