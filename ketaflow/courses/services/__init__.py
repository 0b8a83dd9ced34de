"""Writes for courses: permission → validation → one transaction → audit.

- `protocols`: adopt the built-in protocols, revise a protocol (a new version each time).
- `clinic_setup`: chairs, opening days and hours, closed days, extra openings.
- `courses`: start a course, change its phase.
- `decisions`: record a prescriber's decision to continue the series after a session.
- `booking`: book (one or the whole series), reschedule, cancel, confirm, check in / status.
- `feeds`: issue, regenerate and revoke the secret iCalendar URLs.
"""

from __future__ import annotations

from ketaflow.courses.services.booking import (
    SeriesBooking,
    Unbooked,
    book_appointment,
    book_series,
    cancel_appointment,
    confirm_booking,
    may_check_in_on,
    may_confirm_on,
    refuse_early_check_in,
    reschedule_appointment,
    set_appointment_status,
)
from ketaflow.courses.services.clinic_setup import (
    add_chair,
    add_extra_opening,
    close_day,
    reopen_day,
    set_opening_hours,
    update_chair,
    withdraw_extra_opening,
)
from ketaflow.courses.services.courses import change_phase, start_course
from ketaflow.courses.services.decisions import record_series_decision, sessions_given
from ketaflow.courses.services.feeds import issue_chair_feed, issue_patient_feed, revoke_feed
from ketaflow.courses.services.protocols import (
    adopt_builtin_protocols,
    load_protocol,
    revise_protocol,
)

__all__ = [
    "SeriesBooking",
    "Unbooked",
    "add_chair",
    "add_extra_opening",
    "adopt_builtin_protocols",
    "book_appointment",
    "book_series",
    "cancel_appointment",
    "change_phase",
    "close_day",
    "confirm_booking",
    "issue_chair_feed",
    "issue_patient_feed",
    "load_protocol",
    "may_check_in_on",
    "may_confirm_on",
    "record_series_decision",
    "refuse_early_check_in",
    "reopen_day",
    "reschedule_appointment",
    "revise_protocol",
    "revoke_feed",
    "sessions_given",
    "set_appointment_status",
    "set_opening_hours",
    "start_course",
    "update_chair",
    "withdraw_extra_opening",
]
