"""What the protocol proposes next, given the sessions given so far and the outcome state.

The protocol proposes; the prescriber decides. So a review never cancels anything: it
comes back as `NextAction.REVIEW` with the reasons and the tentative next session, e.g.
- the protocol's review point has just been reached (S17: after session 4; esketamine:
  end of induction, S1/S2);
- the outcome shows the S17 non-response signal (do not stop after 1-2 sessions, S18);
- the next session starts a phase for responders only (Glue maintenance, S9/S11) and the
  patient is not a responder or remitter;
- a relapse has been confirmed (S19).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Source, cite, merge
from ketaflow.clinical.outcomes import OutcomeState
from ketaflow.clinical.protocols.model import Protocol
from ketaflow.clinical.protocols.session_dates import (
    ClinicCalendar,
    ProposedSession,
    given_days,
    propose_sessions,
)


class NextAction(enum.Enum):
    SCHEDULE = "schedule"  # book the proposed session
    REVIEW = "review"  # prescriber review first; the proposed session is tentative
    SERIES_COMPLETE = "series_complete"  # no session left in the protocol


class ReviewReason(enum.Enum):
    REVIEW_POINT = "review_point"
    NON_RESPONSE = "non_response"
    RESPONSE_REQUIRED = "response_required"
    RELAPSE = "relapse"
    SERIES_END = "series_end"


@dataclass(frozen=True)
class Review:
    reason: ReviewReason
    message: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class NextStep:
    action: NextAction
    session: ProposedSession | None
    phase_change: tuple[str, str] | None  # (from phase, to phase) codes
    reviews: tuple[Review, ...]
    sources: tuple[Source, ...]


_RESPONDING = (OutcomeState.RESPONDER, OutcomeState.REMITTER)


def next_step(
    protocol: Protocol,
    calendar: ClinicCalendar,
    *,
    done: Sequence[date],
    as_of: date,
    state: OutcomeState | None = None,
    age: int | None = None,
) -> NextStep:
    """The next session the protocol proposes on or after `as_of`, and any review due.

    `done`: dates of the sessions given; `state`: the current `outcomes` state (None if no
    outcome is known yet).
    """
    days = given_days(done)
    if days and as_of < days[-1]:
        raise ClinicalInputError(
            f"as_of {as_of.isoformat()} is before the last session {days[-1].isoformat()}",
            field="as_of",
        )
    given = len(days)
    reviews: list[Review] = []
    if state is OutcomeState.RELAPSED:
        reviews.append(
            Review(
                ReviewReason.RELAPSE,
                "Relapse confirmed: review the maintenance spacing or a new induction.",
                cite("S19"),
            )
        )
    if state is OutcomeState.NON_RESPONDER:
        reviews.append(
            Review(
                ReviewReason.NON_RESPONSE,
                "Non-response signal: little further improvement is expected in "
                "non-improvers; review whether to continue.",
                protocol.non_response_below_pct.sources,
            )
        )
    review_at = protocol.review_after_session.value
    if given == review_at:
        seen = f" (current state: {state.value})" if state else " (no outcome recorded)"
        reviews.append(
            Review(
                ReviewReason.REVIEW_POINT,
                f"Session {review_at} given: review response before continuing{seen}.",
                protocol.review_after_session.sources,
            )
        )

    proposed = propose_sessions(protocol, calendar, start=as_of, done=days, count=1, age=age)
    if not proposed:
        reviews.append(
            Review(
                ReviewReason.SERIES_END,
                f"All {given} sessions of the series given: decide whether to continue.",
                protocol.sources,
            )
        )
        return NextStep(
            NextAction.SERIES_COMPLETE,
            None,
            None,
            tuple(reviews),
            merge([protocol.sources, *(r.sources for r in reviews)]),
        )

    session = proposed[0]
    change = None
    if given:
        located = protocol.phase_of(given)
        assert located is not None  # the series is not complete
        last_phase = located[0]
        if last_phase.code != session.phase:
            change = (last_phase.code, session.phase)
            entering = next(p for p in protocol.phases if p.code == session.phase)
            if entering.requires_response and state not in _RESPONDING:
                shown = state.value if state else "no outcome recorded"
                reviews.append(
                    Review(
                        ReviewReason.RESPONSE_REQUIRED,
                        f"{entering.name} is for responders; current state: {shown}.",
                        entering.sources,
                    )
                )
    action = NextAction.REVIEW if reviews else NextAction.SCHEDULE
    return NextStep(
        action,
        session,
        change,
        tuple(reviews),
        merge([session.sources, *(r.sources for r in reviews)]),
    )


__all__ = ["NextAction", "NextStep", "Review", "ReviewReason", "next_step"]
