"""The core's follow-up states as plain JSON, frozen into a prescriber's series decision.

Outcome states are derived (from the scores and session dates), so they change as scores
arrive or are entered in error. A decision must keep what the prescriber was shown when
deciding: the state and its sources, response, remission, early improvement, the
non-response signal, the % change and the latest score. Plain values only (dates as ISO
strings, sources as their keys) so the snapshot reads the same in ten years.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ketaflow.clinical.evidence import Source
from ketaflow.clinical.outcomes import Finding
from ketaflow.courses.derive.followup import FINDING_LABELS, STATE_LABELS, FollowUp

SNAPSHOT_VERSION = 1


def _keys(sources: Iterable[Source]) -> list[str]:
    return [s.key for s in sources]


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "status": finding.status.value,
        "label": FINDING_LABELS[finding.status],
        "met": finding.met,
        "explanation": finding.explanation,
        "at": finding.at.isoformat() if finding.at else None,
        "improvement_pct": finding.improvement_pct,
        "sources": _keys(finding.sources),
    }


def non_response_signalled(fu: FollowUp) -> bool:
    """True when the core says non-response: the S17 signal (after the review session) is met,
    or the protocol's next step asks for a non-response review."""
    signal = fu.non_response
    return (signal is not None and signal.met) or "non_response" in fu.review_reasons


def snapshot(fu: FollowUp) -> dict[str, Any]:
    """What the follow-up panel showed, as JSON (see the module docstring)."""
    report = fu.report
    criteria = fu.criteria
    latest, baseline = fu.latest, fu.baseline
    current = report.states[-1] if report and report.states else None
    step = fu.step
    return {
        "version": SNAPSHOT_VERSION,
        "instrument": fu.instrument.code,
        "instrument_name": fu.instrument.name,
        "message": fu.message,
        "sessions_given": len(fu.sessions),
        "last_session_on": fu.sessions[-1].isoformat() if fu.sessions else None,
        "baseline": {"score": baseline.value, "on": baseline.on.isoformat()} if baseline else None,
        "latest": {"score": latest.value, "on": latest.on.isoformat()} if latest else None,
        "change_pct": fu.latest_change_pct,
        "state": fu.state.value if fu.state else None,
        "state_label": STATE_LABELS[fu.state] if fu.state else "",
        "state_since": current.began.isoformat() if current else None,
        "state_sources": _keys(current.sources) if current else [],
        "response": {
            "first_on": report.first_response.when.isoformat()
            if report and report.first_response
            else None,
            "threshold_pct": criteria.response_min_improvement_pct.value
            if criteria and criteria.response_min_improvement_pct
            else None,
            "threshold_points": criteria.response_min_points.value
            if criteria and criteria.response_min_points
            else None,
            "sources": _keys(criteria.response_sources) if criteria else [],
        },
        "remission": {
            "first_on": report.first_remission.when.isoformat()
            if report and report.first_remission
            else None,
            "at_or_below": criteria.remission_at_or_below.value
            if criteria and criteria.remission_at_or_below
            else None,
            "sources": _keys(criteria.remission_at_or_below.sources)
            if criteria and criteria.remission_at_or_below
            else [],
        },
        "early_improvement": _finding(report.early_improvement) if report else None,
        "non_response_signal": _finding(report.non_response_signal) if report else None,
        "non_response": non_response_signalled(fu),
        "next_session": {
            "number": step.session.number,
            "on": step.session.on.isoformat(),
            "phase": step.session.phase,
        }
        if step and step.session
        else None,
        "reviews": [
            {"reason": r.reason.value, "message": r.message, "sources": _keys(r.sources)}
            for r in (step.reviews if step else ())
        ],
    }
