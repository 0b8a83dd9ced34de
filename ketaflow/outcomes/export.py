"""The de-identified research export (CSV), HIPAA Safe Harbor style (clinical.deidentify).

Built by allow-list from the `CourseOutcome` summary: the query reads only coded clinical
values, counts, numbers and dates, never a name, MRN, date of birth, contact detail, address
or free text, so none can leak. Dates are shifted per patient by a secret-keyed offset;
other dates are day counts from the first session (intervals need no real dates); ages over
89 read "90+"; patients get per-export research ids. Audited as an export.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections import defaultdict

from django.conf import settings

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.deidentify import (
    RESEARCH_COLUMNS,
    age_group,
    date_offset_days,
    day_number,
    research_ids,
    shift,
)
from ketaflow.outcomes.models import CourseOutcome

_ICD_GROUP = re.compile(r"^[A-Z][0-9]{2}$")
_FIELDS = (
    "course_id",
    "patient_id",
    "age_at_start",
    "sex_at_birth",
    "diagnosis_group",
    "route",
    "protocol_code",
    "prior_failed_trials",
    "started_on",
    "instrument",
    "baseline_score",
    "latest_score",
    "latest_on",
    "improvement_pct",
    "early_change_pct",
    "first_response_on",
    "first_remission_on",
    "relapse_on",
    "state",
    "sessions",
    "induction_sessions",
    "total_mg",
    "sessions_with_adverse_events",
    "sessions_with_bp_excursion",
    "phase",
    "ended_reason",
    "first_session_on",
)


def deidentify_secret() -> bytes:
    """`settings.KETAFLOW_DEIDENTIFY_SECRET` if set, else a key derived from SECRET_KEY."""
    explicit = getattr(settings, "KETAFLOW_DEIDENTIFY_SECRET", "")
    if explicit:
        return str(explicit).encode()
    return hmac.new(
        settings.SECRET_KEY.encode(), b"ketaflow.outcomes.deidentify", hashlib.sha256
    ).digest()


def _num(value: float | None, places: int = 1) -> str:
    return "" if value is None else f"{value:.{places}f}"


def research_csv(actor: User) -> str:
    """The clinic's courses as de-identified CSV text (EXPORT_DEIDENTIFIED only)."""
    require(actor, Capability.EXPORT_DEIDENTIFIED)
    secret = deidentify_secret()
    clinic_id = actor.clinic_pk
    rows = list(
        CourseOutcome.objects.filter(clinic_id=clinic_id)
        .order_by("patient_id", "started_on", "course_id")
        .values(*_FIELDS)
    )
    keys = {r["patient_id"]: f"{clinic_id}:{r['patient_id']}" for r in rows}
    ids = research_ids(secret, keys.values())
    seq: dict[int, int] = defaultdict(int)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESEARCH_COLUMNS)
    lines = []
    for r in rows:
        key = keys[r["patient_id"]]
        offset = date_offset_days(secret, key)
        seq[r["patient_id"]] += 1
        origin = r["first_session_on"]
        group = r["diagnosis_group"] if _ICD_GROUP.match(r["diagnosis_group"] or "") else ""
        lines.append(
            [
                ids[key],
                seq[r["patient_id"]],
                age_group(r["age_at_start"]),
                r["sex_at_birth"],
                group,
                r["route"],
                r["protocol_code"],
                r["prior_failed_trials"],
                str(shift(r["started_on"], offset) or ""),
                r["instrument"],
                _num(r["baseline_score"], 0),
                _num(r["latest_score"], 0),
                day_number(r["latest_on"], origin) if origin else "",
                _num(r["improvement_pct"]),
                _num(r["early_change_pct"]),
                day_number(r["first_response_on"], origin) if origin else "",
                day_number(r["first_remission_on"], origin) if origin else "",
                day_number(r["relapse_on"], origin) if origin else "",
                r["state"],
                r["sessions"],
                r["induction_sessions"],
                _num(r["total_mg"]),
                r["sessions_with_adverse_events"],
                r["sessions_with_bp_excursion"],
                r["phase"],
                r["ended_reason"],
            ]
        )
    lines.sort(key=lambda line: (str(line[0]), int(line[1])))  # research-id order, not record
    writer.writerows([["" if v is None else v for v in line] for line in lines])
    record_event(
        actor=actor,
        action=Action.EXPORT,
        detail={
            "part": "outcomes_research_csv",
            "deidentified": True,
            "courses": len(rows),
            "patients": len(keys),
        },
    )
    return out.getvalue()


__all__ = ["deidentify_secret", "research_csv"]
