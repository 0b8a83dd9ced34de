"""iCalendar feeds (RFC 5545, `icalendar`): a patient's appointments, a chair's bookings.

The patient feed carries no health information beyond "an appointment at this clinic":
the summary is "Ketaflow appointment", the location the clinic's name, and the description
the preparation note. The chair feed is for staff: patient initials and MRN only.
Cancelled appointments stay in the feed as STATUS:CANCELLED so calendars remove them.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from icalendar import Calendar, Event

from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.courses.models import Appointment, AppointmentStatus, CalendarFeed, FeedKind

PREPARATION = (
    "Please arrive on time. No driving until the next day: bring an adult escort to take you "
    "home. Follow the fasting instructions the clinic gave you."
)
PAST_DAYS = 30


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Ketaflow//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def _event(appt: Appointment, summary: str, location: str, description: str) -> Event:
    event = Event()
    event.add("uid", f"appointment-{appt.pk}@ketaflow")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appt.starts_at)
    event.add("dtend", appt.ends_at)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("sequence", max(0, appt.history.count() - 1))
    cancelled = appt.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _window(qs: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return qs.filter(starts_at__gte=timezone.now() - timedelta(days=PAST_DAYS)).order_by(
        "starts_at", "pk"
    )


def render_feed(feed: CalendarFeed) -> bytes:
    """The feed's calendar; the read is audited (no signed-in user: the secret is the key)."""
    label = f"calendar feed {feed.prefix}…"
    if feed.kind == FeedKind.PATIENT:
        assert feed.patient is not None
        appts = list(
            _window(Appointment.objects.filter(course__patient_id=feed.patient_id)).select_related(
                "course"
            )
        )
        cal = _calendar(f"{feed.clinic.name} appointments")
        for appt in appts:
            cal.add_component(_event(appt, "Ketaflow appointment", feed.clinic.name, PREPARATION))
        record_event(
            actor=None,
            actor_label=label,
            action=Action.EXPORT,
            patient_id=feed.patient_id,
            clinic_id=feed.clinic_id,
            detail={"feed": "patient", "appointments": [a.pk for a in appts]},
        )
    else:
        assert feed.chair is not None
        appts = list(
            _window(Appointment.objects.filter(chair_id=feed.chair_id)).select_related(
                "course__patient"
            )
        )
        cal = _calendar(f"{feed.chair.name} · {feed.clinic.name}")
        for appt in appts:
            patient = appt.course.patient
            initials = f"{patient.given_name[:1]}.{patient.family_name[:1]}.".upper()
            cal.add_component(
                _event(
                    appt,
                    f"{initials} {patient.mrn} · session {appt.session_number}",
                    f"{feed.chair.name}, {feed.clinic.name}",
                    f"Status: {appt.get_status_display()}.",
                )
            )
        record_event(
            actor=None,
            actor_label=label,
            action=Action.EXPORT,
            clinic_id=feed.clinic_id,
            detail={
                "feed": "chair",
                "chair": feed.chair_id,
                "patient_ids": sorted({a.course.patient_id for a in appts}),
            },
        )
    return cal.to_ical()
