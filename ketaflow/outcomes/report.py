"""A progress report for the referring clinician, as a PDF (ReportLab, the house layout of
`lib.pdf_style`): outcome states with dates, the trajectory chart (Matplotlib PNG), the
sessions summary, misuse indicators and the current plan. Reading it is audited as a view
(by the selector) and producing it as an export.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils import timezone
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Image, Spacer, Table

from ketaflow.accounts.models import User
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.courses.derive.followup import STATE_LABELS
from ketaflow.lib.clock import local
from ketaflow.lib.pdf_style import (
    GRID_WITH_HEADER,
    SYNTHETIC_MARK,
    a4_document,
    page_decoration,
    para,
    styles,
)
from ketaflow.outcomes import charts, selectors

TITLE = "Ketamine treatment progress report"
NOTICE = (
    "Prepared for the referring clinician. Scores, states and indicators are computed by "
    "Ketaflow's decision-support rules from the clinic's records; they inform and never "
    "replace clinical judgement. Sources are listed at the end."
)


def _table(rows: list[list[str]], st: dict[str, ParagraphStyle], widths: list[float]) -> Table:
    return Table(
        [[para(c, st["body"]) for c in r] for r in rows],
        colWidths=widths,
        style=GRID_WITH_HEADER,
        repeatRows=1,
    )


def patient_report(actor: User, patient_id: int) -> bytes:
    """The PDF bytes (VIEW_CLINICAL; another clinic's patient is a 404)."""
    found = selectors.patient_outcome(actor, patient_id)
    patient = found.patient
    st = styles()
    now = local(timezone.now(), patient.clinic)
    buffer = BytesIO()
    doc = a4_document(buffer, title=TITLE, author=f"Ketaflow — {patient.clinic.name}")
    width = doc.width
    decorate = page_decoration(
        f"{TITLE} · {patient.full_name} ({patient.mrn}) · "
        f"generated {now:%d %b %Y %H:%M} ({patient.clinic.timezone})",
        [SYNTHETIC_MARK] if patient.clinic.is_synthetic else [],
    )

    story: list[Any] = [para(TITLE, st["title"]), Spacer(1, 4)]
    story.append(
        para(
            f"{patient.full_name} · MRN {patient.mrn} · born "
            f"{patient.date_of_birth:%d %b %Y} · {patient.clinic.name}",
            st["body"],
        )
    )
    story += [Spacer(1, 6), para(NOTICE, st["notice"])]
    current = found.current
    sources: dict[str, str] = {}
    if current is None:
        story.append(para("No treatment course recorded.", st["body"]))
    else:
        course, fu = current.course, current.primary_followup
        story.append(para("Course", st["h"]))
        story.append(
            para(
                f"{course.protocol_version.name} (v{course.protocol_version.version}), "
                f"started {course.started_on:%d %b %Y}; phase "
                f"{course.get_phase_display()}.",
                st["body"],
            )
        )
        story.append(para(f"Outcome: {fu.instrument.name}", st["h"]))
        if fu.report is None:
            story.append(para(fu.message or "No outcome yet.", st["body"]))
        else:
            r = fu.report
            rows = [["State", "From", "Score", "Sources"]]
            for change in r.states:
                rows.append(
                    [
                        STATE_LABELS[change.state],
                        f"{change.began:%d %b %Y}",
                        f"{change.score:g}",
                        ", ".join(s.key for s in change.sources),
                    ]
                )
                sources.update({s.key: s.short() for s in change.sources})
            story.append(_table(rows, st, [width * 0.25, width * 0.25, width * 0.15, width * 0.35]))
            story.append(Spacer(1, 3))
            latest = r.assessments[-1] if r.assessments else None
            text = f"Baseline {r.baseline.value:g} on {r.baseline.when:%d %b %Y}"
            if latest is not None and latest.improvement_pct is not None:
                text += (
                    f"; latest {latest.score:g} on {latest.when:%d %b %Y} "
                    f"({latest.improvement_pct:.0f}% better)"
                )
            if r.relapses:
                last = r.relapses[-1]
                text += (
                    f"; relapse from {last.onset:%d %b %Y} (confirmed {last.confirmed:%d %b %Y})"
                )
            story.append(para(text + ".", st["body"]))
        if fu.scores:
            png = charts.png(charts.trajectory_figure(current.primary))
            story.append(Image(BytesIO(png), width=width, height=width * 3.6 / 7.5))
        given = [s for s in found.sessions if s.held and s.course_id == course.pk]
        story.append(para("Sessions", st["h"]))
        mg = [s.delivered_mg for s in given if s.delivered_mg is not None]
        story.append(
            para(
                f"{len(given)} session(s) given"
                + (f", {given[0].on:%d %b %Y} to {given[-1].on:%d %b %Y}" if given else "")
                + (f"; {sum(mg):.0f} mg ketamine delivered in {len(mg)} recorded" if mg else "")
                + f"; {sum(1 for s in given if s.adverse_event)} with side effects recorded; "
                f"{sum(1 for s in given if s.bp_excursion)} with a BP reading at or above "
                "180 systolic or 110 diastolic.",
                st["body"],
            )
        )
        story.append(para("Current plan", st["h"]))
        step = fu.step
        if course.is_ended:
            story.append(
                para(
                    f"Course ended ({course.get_ended_reason_display() or 'no reason'}"
                    f"){': ' + course.ended_note if course.ended_note else ''}.",
                    st["body"],
                )
            )
        elif step is not None and step.session is not None:
            story.append(
                para(
                    f"Next per protocol: session {step.session.number} "
                    f"({step.session.phase}) from {step.session.on:%d %b %Y}.",
                    st["body"],
                )
            )
        for review in step.reviews if step else ():
            story.append(para(f"For review: {review.message}", st["body"]))
        m = found.misuse
        story.append(para("Misuse-risk indicators", st["h"]))
        story.append(
            para(
                "; ".join(
                    f"{w.mg:.0f} mg in {w.sessions} session(s) in the last {w.days} days"
                    for w in m.windows
                )
                + ". "
                + (" ".join(i.message for i in m.indicators) or "No indicator raised.")
                + " "
                + m.note,
                st["body"],
            )
        )
        sources.update({s.key: s.short() for s in m.sources})
    if sources:
        story.append(para("Sources", st["h"]))
        for key in sorted(sources):
            story.append(para(sources[key], st["small"]))
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    record_event(
        actor=actor,
        action=Action.EXPORT,
        obj=patient,
        detail={"part": "outcomes_pdf", "course_ids": [c.course.pk for c in found.courses]},
    )
    return buffer.getvalue()


__all__ = ["TITLE", "patient_report"]
