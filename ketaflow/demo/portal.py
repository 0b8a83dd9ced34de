"""Demo data for the patient portal, in a synthetic clinic, through the real services.

`seed_portal_demo(clinic, nurse=..., base_url=...)` (for `seed-demo`):

1. A forms-due list. The demo courses' sessions were given weeks before the seed runs, so
   under the default rules (the day after and a week after each session) nothing is due any
   more. The nurse therefore adds a labelled course rule for the first course with treatment
   given: GAD-7 and PHQ-9 daily between sessions (`DEMO_RULE_REASON`). Each ask is open for its
   day only, and the rule is evaluated like any other: today's ask is due, older ones missed.
2. A questionnaire link for that patient (GAD-7 and PHQ-9), printed once via `note`.
3. One unacknowledged risk alert: a second synthetic patient answers a PHQ-9 through their
   own link with item 9 = 1 ("several days"), which raises the alert and emails the staff
   (console backend in the demo).

Safe to run again: the rule, the link and the alert are made once (a second run changes
nothing; tokens are never stored, so the first link cannot be printed again — a nurse issues
a new one from the patient's "Questionnaire links" page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.portal import derive, services
from ketaflow.portal.models import RuleScope, ScheduleRule
from ketaflow.questionnaires.models import RiskAlert

DEMO_RULE_REASON = "Demo: daily GAD-7 and PHQ-9 between sessions (shows a forms-due list)"
DEMO_PHQ9 = {f"item_{n}": 1 for n in range(1, 10)} | {"difficulty": 1}


@dataclass
class PortalDemo:
    link_url: str = ""
    link_patient_mrn: str = ""
    due_forms: int = 0
    alert_id: int | None = None
    notes: list[str] = field(default_factory=list)


def seed_portal_demo(
    clinic: Clinic,
    *,
    nurse: User,
    base_url: str | None = None,
    now: datetime | None = None,
    note: Callable[[str], None] = print,
) -> PortalDemo:
    """Seed the portal demo in `clinic` (must be synthetic) as `nurse`; see the module doc."""
    if not clinic.is_synthetic:
        raise ValueError("Portal demo data goes only into a synthetic clinic.")
    now = now or timezone.now()
    result = PortalDemo()
    treated = [c for c in derive.open_courses(clinic) if derive.anchors(c)]
    if not treated:
        result.notes.append("no open course with treatment given: no forms-due list")
        note(result.notes[-1])
        return result
    course = treated[0]
    phase = derive.anchors(course)[-1].phase
    first_run = not ScheduleRule.objects.filter(course=course, reason=DEMO_RULE_REASON).exists()
    if first_run:
        for code in ("gad7", "phq9"):
            services.add_rule(
                nurse,
                scope=RuleScope.COURSE,
                course=course,
                instrument=code,
                phase=phase.value,
                offsets_days=[1],
                repeat_every_days=1,
                window_days=1,
                reason=DEMO_RULE_REASON,
            )
    today = derive.clinic_today(clinic, now)
    result.due_forms = len(derive.open_for_patient(course.patient, today))
    if first_run:  # later runs change nothing: staff issue new links from the patient page
        issued = services.issue_link(nurse, course.patient, base_url=base_url, instruments=())
        result.link_url, result.link_patient_mrn = issued.url, course.patient.mrn
        note(
            f"Patient questionnaire link for {course.patient.mrn} (shown once, works 7 days): "
            f"{issued.url}"
        )
    # A patient's own answer: the process seed may already have raised a staff-entry alert.
    open_alert = RiskAlert.objects.filter(
        clinic=clinic, acknowledged_at__isnull=True, link__isnull=False
    ).first()
    if open_alert is None:
        other = next((c.patient for c in treated[1:]), None)
        if other is None:
            other = next(
                (c.patient for c in derive.open_courses(clinic) if c.patient != course.patient),
                course.patient,
            )
        link = services.issue_link(nurse, other, base_url=base_url, instruments=("phq9",))
        submitted = services.submit_form(link.link, "phq9", DEMO_PHQ9, now=now, base_url=base_url)
        open_alert = submitted.alerts[0]
        note(f"Risk alert raised for {other.mrn} (PHQ-9 item 9 answered 'several days').")
    result.alert_id = open_alert.pk
    return result
