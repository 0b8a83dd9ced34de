"""The outcomes app as JSON, through the same selectors as its pages.

- GET /patients/{id}: a patient's outcome states, trajectories, sessions and misuse
  indicators (VIEW_CLINICAL; another clinic's patient is 404);
- GET /patients/{id}/prediction: the chance of response after induction, or the literature
  base rates below the clinic's threshold (VIEW_CLINICAL);
- GET /dashboard: the clinic dashboard, identified for clinical staff and de-identified for
  researchers and clinic admins (VIEW_CLINICAL or VIEW_DEIDENTIFIED).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from ketaflow.accounts.requests import staff_user
from ketaflow.clinical.outcome_stats import Proportion
from ketaflow.clinical.prediction import MIN_EVENTS_PER_PARAMETER, BaseRate, EventsPerParameter
from ketaflow.lib.api_schemas import IsoDate, PathId
from ketaflow.outcomes import selectors
from ketaflow.outcomes.dashboard import Curve, DashboardFilters, Rate

router = Router(tags=["outcomes"])
ERRORS = "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 422 bad input."


class DashboardParams(Schema):
    diagnosis_group: str = ""
    route: str = ""
    protocol_code: str = ""
    started_from: IsoDate | None = None
    started_to: IsoDate | None = None


class PatientOutcomeOut(Schema):
    patient_id: int
    as_of: date
    courses: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    misuse: dict[str, Any]


class PredictionOut(Schema):
    basis: str  # "clinic_model" or "literature"
    informs_not_decides: str
    readiness: dict[str, Any]
    prediction: dict[str, Any] | None
    features: dict[str, Any] | None
    base_rates: list[dict[str, Any]]
    why_not: str


class DashboardOut(Schema):
    deidentified: bool
    filters: dict[str, Any]
    courses: str
    response: dict[str, Any]
    remission: dict[str, Any]
    time_to_response: dict[str, Any]
    relapse_free: dict[str, Any]
    adverse_events: dict[str, Any]
    bp_excursions: dict[str, Any]
    dose_mg_per_session: list[dict[str, Any]]
    dose_mg_per_kg: list[dict[str, Any]]
    by_diagnosis: list[dict[str, Any]]
    by_route: list[dict[str, Any]]
    patients: list[dict[str, Any]]


def _keys(sources: Any) -> list[str]:
    return [s.key for s in sources]


def _proportion(p: Proportion) -> dict[str, Any]:
    """A Wilson estimate as proportions (0–1), under keys that say so.

    Pages show percent; the API keeps proportions for computation. `p`, `low` and `high` are
    the original v1 names, kept so existing clients do not break.
    """
    return {
        "k": p.k,
        "n": p.n,
        "proportion": p.p,
        "ci_low_proportion": p.low,
        "ci_high_proportion": p.high,
        "confidence": p.confidence,
        "p": p.p,
        "low": p.low,
        "high": p.high,
        "method": "wilson",
    }


def _rate(r: Rate) -> dict[str, Any]:
    if r.suppressed:
        return {"suppressed": True, "k": r.k_shown, "n": r.n_shown}
    return {"suppressed": False, **_proportion(r.proportion)}


def _curve(c: Curve) -> dict[str, Any]:
    km = c.km
    hide = c.suppressed_from_day is not None
    return {
        "n": c.n_shown,
        "events": c.events_shown,
        "median_days": None if hide and c.suppressed_from_day == 0 else km.median_days,
        "median_low": km.median_low,
        "median_high": km.median_high,
        "steps": [
            {"days": d, "at_risk": n, "survival": s, "low": lo, "high": hi}
            for d, n, s, lo, hi in c.visible_steps
        ],
        "suppressed_from_day": c.suppressed_from_day,
        "sources": _keys(km.sources),
    }


def _base_rate(r: BaseRate) -> dict[str, Any]:
    return {
        "label": r.label,
        "population": r.population,
        **_proportion(r.rate),
        "evidence": r.evidence.value,
        "unverified": r.needs_local_signoff,
        "sources": _keys(r.sources),
        "note": r.note,
    }


@router.get(
    "/patients/{patient_id}",
    response=PatientOutcomeOut,
    summary="A patient's outcomes",
    description=ERRORS,
)
def patient(request: HttpRequest, patient_id: PathId) -> dict[str, Any]:
    found = selectors.patient_outcome(staff_user(request), patient_id)
    courses = []
    for co in found.courses:
        trajectories = []
        for t in co.trajectories:
            r = t.followup.report
            trajectories.append(
                {
                    "instrument": t.code,
                    "primary": t is co.primary,
                    "scores": [{"on": s.on, "value": s.value} for s in t.followup.scores],
                    "response_at_or_below": t.response_at_or_below,
                    "remission_at_or_below": t.remission_at_or_below,
                    "state": r.current_state.value if r else None,
                    "states": [
                        {
                            "state": c.state.value,
                            "began": c.began,
                            "sources": _keys(c.sources),
                            "needs_local_signoff": c.needs_local_signoff,
                        }
                        for c in (r.states if r else ())
                    ],
                    "first_response_on": r.first_response.when if r and r.first_response else None,
                    "first_remission_on": (
                        r.first_remission.when if r and r.first_remission else None
                    ),
                    "non_response_signal_on": (
                        r.non_response_signal.at if r and r.non_response_signal.met else None
                    ),
                    "relapses": [
                        {"onset": x.onset, "confirmed": x.confirmed}
                        for x in (r.relapses if r else ())
                    ],
                    "message": t.followup.message,
                }
            )
        courses.append(
            {
                "course_id": co.course.pk,
                "protocol": co.protocol.code,
                "phase": co.course.phase,
                "started_on": co.course.started_on,
                "session_dates": list(co.primary_followup.sessions),
                "trajectories": trajectories,
            }
        )
    m = found.misuse
    return {
        "patient_id": found.patient.pk,
        "as_of": found.as_of,
        "courses": courses,
        "sessions": [s.__dict__ for s in found.sessions],
        "misuse": {
            "windows": [w.__dict__ for w in m.windows],
            "total_mg": m.total_mg,
            "home_mg": m.home_mg,
            "early": [e.__dict__ for e in m.early],
            "indicators": [
                {
                    "code": i.code,
                    "message": i.message,
                    "evidence": i.evidence.value,
                    "sources": _keys(i.sources),
                }
                for i in m.indicators
            ],
            "sources": _keys(m.sources),
            "note": m.note,
        },
    }


def _epv(epv: EventsPerParameter | None) -> dict[str, Any] | None:
    if epv is None:
        return None
    return {"value": epv.value, "events": epv.events, "parameters": epv.parameters}


@router.get(
    "/patients/{patient_id}/prediction",
    response=PredictionOut,
    summary="Chance of response after induction (informs, never decides)",
    description=ERRORS,
)
def prediction(request: HttpRequest, patient_id: PathId) -> dict[str, Any]:
    found = selectors.patient_outcome(staff_user(request), patient_id)
    pv = found.prediction
    p = pv.prediction
    cal = p.calibration if p else None
    return {
        "basis": "clinic_model" if p else "literature",
        "informs_not_decides": "An estimate to inform a conversation; never a decision.",
        "readiness": {
            **{k: v for k, v in pv.readiness.__dict__.items() if k != "epv"},
            "events_per_parameter": _epv(pv.readiness.epv),
            "min_events_per_parameter": MIN_EVENTS_PER_PARAMETER.value,
        },
        "prediction": None
        if p is None or cal is None
        else {
            "probability": p.probability,
            "low": p.low,
            "high": p.high,
            "interval": "percentile bootstrap",
            "n": p.n,
            "responders": p.responders,
            "events_per_parameter": _epv(p.epv),
            "calibration": {
                "brier": cal.brier,
                "brier_base_rate": cal.brier_base_rate,
                "slope": cal.slope,
                "intercept_in_the_large": cal.intercept_in_the_large,
                "c_statistic": cal.c_statistic,
                "folds": cal.folds,
                "bins": [
                    {
                        "low": b.low,
                        "high": b.high,
                        "n": b.n,
                        "mean_predicted": b.mean_predicted,
                        "observed": _proportion(b.observed),
                    }
                    for b in cal.bins
                ],
            },
            "sources": _keys(p.sources),
        },
        "features": pv.features.__dict__ if pv.features else None,
        "base_rates": [_base_rate(r) for r in pv.base_rates],
        "why_not": pv.why_not,
    }


@router.get("/dashboard", response=DashboardOut, summary="Clinic outcomes", description=ERRORS)
def dashboard(request: HttpRequest, params: Query[DashboardParams]) -> dict[str, Any]:
    filters = DashboardFilters(**params.dict())
    d = selectors.dashboard(staff_user(request), filters)

    def bins(h: Any) -> list[dict[str, Any]]:
        return [{"low": b.low, "high": b.high, "count": h.shown(b)} for b in h.bins]

    def groups(rows: Any) -> list[dict[str, Any]]:
        return [
            {"group": g.group, "courses": g.courses, "response": _rate(g.response)} for g in rows
        ]

    return {
        "deidentified": d.deidentified,
        "filters": {k: v for k, v in filters.__dict__.items() if v},
        "courses": d.courses_shown,
        "response": _rate(d.response),
        "remission": _rate(d.remission),
        "time_to_response": _curve(d.time_to_response),
        "relapse_free": _curve(d.relapse_free),
        "adverse_events": _rate(d.adverse_events),
        "bp_excursions": _rate(d.bp_excursions),
        "dose_mg_per_session": bins(d.mg_per_session),
        "dose_mg_per_kg": bins(d.mg_per_kg),
        "by_diagnosis": groups(d.by_diagnosis),
        "by_route": groups(d.by_route),
        "patients": [p.__dict__ for p in d.patients],
    }
