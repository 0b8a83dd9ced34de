"""De-identification for the research export (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)).

Safe Harbor removes 18 kinds of identifier (`SAFE_HARBOR`). The export is built by
*allow-list*: only the columns in `RESEARCH_COLUMNS` are ever written, each one a coded
clinical value, a count, a number or a shifted date; names, MRNs, contact details,
addresses (and so ZIP codes), free text and device or record numbers are never read into it.

- Dates are shifted per patient by a random but consistent offset (`date_offset_days`):
  HMAC-SHA256 of the patient's key under a secret, so the same patient moves by the same
  number of days in every export (intervals are kept exact) while nobody without the secret
  can recompute the offset from the id. Strict Safe Harbor keeps only the year of dates;
  shifted dates are the usual research compromise and the offset is wider than a year so
  the shifted year says little. The clinic signs that choice off (`DATE_SHIFT_MAX_DAYS`).
- Research ids (`research_ids`) are assigned per export in an order set by the secret
  keyed hash, so they are not derived from or translatable to the record id
  (164.514(c)).
- Ages over 89 are reported as "90+" (164.514(b)(2)(i)(C)).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import date, timedelta

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence
from ketaflow.clinical.outcome_stats import method_source

SAFE_HARBOR_SOURCES = (method_source("M-HIPAA-SafeHarbor"),)

#: The 18 Safe Harbor identifier kinds, and how the export deals with each.
SAFE_HARBOR: tuple[tuple[str, str], ...] = (
    ("Names", "never exported"),
    ("Geographic subdivisions smaller than a state (street, city, county, ZIP)", "never exported"),
    ("All elements of dates (except year) related to the individual", "shifted per patient"),
    ("Telephone numbers", "never exported"),
    ("Fax numbers", "never exported"),
    ("Email addresses", "never exported"),
    ("Social security numbers", "not held; never exported"),
    ("Medical record numbers", "never exported"),
    ("Health plan beneficiary numbers", "not held; never exported"),
    ("Account numbers", "not held; never exported"),
    ("Certificate/licence numbers", "not held; never exported"),
    ("Vehicle identifiers and serial numbers", "not held; never exported"),
    ("Device identifiers and serial numbers", "never exported"),
    ("Web URLs", "never exported"),
    ("IP addresses", "never exported"),
    ("Biometric identifiers", "not held; never exported"),
    ("Full-face photographs and comparable images", "not held; never exported"),
    ("Any other unique identifying number, characteristic or code", "record ids replaced"),
)

DATE_SHIFT_MAX_DAYS = ClinicDefault(
    value=364,
    sources=SAFE_HARBOR_SOURCES,
    evidence=Evidence.UNVERIFIED,
    note="Shift of up to +/- 364 days, never 0; Safe Harbor proper keeps only the year: "
    "a local (IRB/privacy officer) sign-off.",
)
AGE_TOP_CODE = 90  # 164.514(b)(2)(i)(C): ages over 89 aggregated into "90 or older"

#: Every column the research CSV may contain, in order. Nothing else is ever written.
RESEARCH_COLUMNS: tuple[str, ...] = (
    "research_id",
    "course_seq",
    "age_group",
    "sex_at_birth",
    "diagnosis_group",
    "route",
    "protocol_code",
    "prior_failed_trials",
    "course_start_shifted",
    "instrument",
    "baseline_score",
    "latest_score",
    "latest_day",
    "improvement_pct",
    "early_change_pct",
    "first_response_day",
    "first_remission_day",
    "relapse_day",
    "state",
    "sessions",
    "induction_sessions",
    "total_mg",
    "sessions_with_adverse_events",
    "sessions_with_bp_excursion",
    "phase",
    "ended_reason",
)


def _digest(secret: bytes, key: str) -> bytes:
    if not secret:
        raise ClinicalInputError("a de-identification secret is required", field="secret")
    return hmac.new(secret, key.encode("utf-8"), hashlib.sha256).digest()


def date_offset_days(secret: bytes, patient_key: str, max_days: int | None = None) -> int:
    """A per-patient offset in [-max, -1] U [1, max] days, stable for (secret, patient)."""
    top = DATE_SHIFT_MAX_DAYS.value if max_days is None else max_days
    if top < 1:
        raise ClinicalInputError("max_days must be >= 1", field="max_days")
    value = int.from_bytes(_digest(secret, "date:" + patient_key)[:8], "big")
    magnitude = 1 + value % top
    return magnitude if (value >> 63) & 1 else -magnitude


def shift(day: date | None, offset_days: int) -> date | None:
    return None if day is None else day + timedelta(days=offset_days)


def age_group(age: int | None) -> str:
    """The age in years, with every age over 89 reported as "90+"."""
    if age is None:
        return ""
    if age < 0:
        raise ClinicalInputError("age must be >= 0", field="age")
    return f"{AGE_TOP_CODE}+" if age >= AGE_TOP_CODE else str(age)


def research_ids(secret: bytes, patient_keys: Iterable[str]) -> dict[str, str]:
    """Per-export ids R0001, R0002 ... in the order of the keyed hash (not of the record id)."""
    unique = sorted(set(patient_keys), key=lambda k: _digest(secret, "order:" + k))
    width = max(4, len(str(len(unique))))
    return {k: f"R{i:0{width}d}" for i, k in enumerate(unique, start=1)}


def day_number(day: date | None, origin: date | None) -> int | None:
    """Days from the course's origin (an interval: unchanged by the shift)."""
    if day is None or origin is None:
        return None
    return (day - origin).days


__all__ = [
    "AGE_TOP_CODE",
    "DATE_SHIFT_MAX_DAYS",
    "RESEARCH_COLUMNS",
    "SAFE_HARBOR",
    "SAFE_HARBOR_SOURCES",
    "age_group",
    "date_offset_days",
    "day_number",
    "research_ids",
    "shift",
]
