"""A progress report for the referring clinician, as a PDF (ReportLab, the house layout of
`treatments.pdf`): outcome states with dates, the trajectory chart (Matplotlib PNG), the
sessions summary, misuse indicators and the current plan. Reading it is audited as a view
(by the selector) and producing it as an export.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ketaflow.accounts.models import User
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.courses.clock import local
from ketaflow.courses.followup import STATE_LABELS
from ketaflow.outcomes import charts, selectors
from ketaflow.treatments.pdf import fonts

TITLE = "Ketamine treatment progress report"
NOTICE = (
    "Prepared for the referring clinician. Scores, states and indicators are computed by "
    "Ketaflow's decision-support rules from the clinic's records; they inform and never "
    "replace clinical judgement. Sources are listed at the end."
)
_GRID = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#cbd5e1")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f5f9")),
    ]
)


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    base = getSampleStyleSheet()["Normal"]
    return {
        "title": ParagraphStyle("t", parent=base, fontName=bold, fontSize=13.5, leading=17),
        "h": ParagraphStyle(
            "h", parent=base, fontName=bold, fontSize=10.5, leading=13, spaceBefore=7, spaceAfter=3
        ),
        "body": ParagraphStyle("b", parent=base, fontName=regular, fontSize=8.5, leading=10.5),
        "small": ParagraphStyle(
            "s", parent=base, fontName=regular, fontSize=7.5, leading=9, textColor=colors.grey
        ),
        "notice": ParagraphStyle(
            "n",
            parent=base,
            fontName=regular,
            fontSize=8.5,
            leading=11,
            borderColor=colors.HexColor("#b45309"),
            borderWidth=0.8,
            borderPadding=5,
            backColor=colors.HexColor("#fff7ed"),
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(rows: list[list[str]], st: dict[str, ParagraphStyle], widths: list[float]) -> Table:
    return Table(
        [[_p(c, st["body"]) for c in r] for r in rows], colWidths=widths, style=_GRID, repeatRows=1
    )


def patient_report(actor: User, patient_id: int) -> bytes:
    """The PDF bytes (VIEW_CLINICAL; another clinic's patient is a 404)."""
    found = selectors.patient_outcome(actor, patient_id)
    patient = found.patient
    st = _styles()
    regular, _bold = fonts()
    now = local(timezone.now(), patient.clinic)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=TITLE,
        author=f"Ketaflow — {patient.clinic.name}",
        creator="Ketaflow",
    )
    width = doc.width

    def decorate(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(
            16 * mm,
            10 * mm,
            f"{TITLE} · {patient.full_name} ({patient.mrn}) · "
            f"generated {now:%d %b %Y %H:%M} ({patient.clinic.timezone})",
        )
        canvas.drawRightString(A4[0] - 16 * mm, 10 * mm, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    story: list[Any] = [_p(TITLE, st["title"]), Spacer(1, 4)]
    story.append(
        _p(
            f"{patient.full_name} · MRN {patient.mrn} · born "
            f"{patient.date_of_birth:%d %b %Y} · {patient.clinic.name}",
            st["body"],
        )
    )
    story += [Spacer(1, 6), _p(NOTICE, st["notice"])]
    current = found.current
    sources: dict[str, str] = {}
    if current is None:
        story.append(_p("No treatment course recorded.", st["body"]))
    else:
        course, fu = current.course, current.primary_followup
        story.append(_p("Course", st["h"]))
        story.append(
            _p(
                f"{course.protocol_version.name} (v{course.protocol_version.version}), "
                f"started {course.started_on:%d %b %Y}; phase "
                f"{course.get_phase_display()}.",
                st["body"],
            )
        )
        story.append(_p(f"Outcome: {fu.instrument.name}", st["h"]))
        if fu.report is None:
            story.append(_p(fu.message or "No outcome yet.", st["body"]))
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
                text += f"; relapse confirmed {r.relapses[-1].confirmed:%d %b %Y}"
            story.append(_p(text + ".", st["body"]))
        if fu.scores:
            png = charts.png(charts.trajectory_figure(current.primary))
            story.append(Image(BytesIO(png), width=width, height=width * 3.6 / 7.5))
        given = [s for s in found.sessions if s.held and s.course_id == course.pk]
        story.append(_p("Sessions", st["h"]))
        mg = [s.delivered_mg for s in given if s.delivered_mg is not None]
        story.append(
            _p(
                f"{len(given)} session(s) given"
                + (f", {given[0].on:%d %b %Y} to {given[-1].on:%d %b %Y}" if given else "")
                + (f"; {sum(mg):.0f} mg ketamine delivered in {len(mg)} recorded" if mg else "")
                + f"; {sum(1 for s in given if s.adverse_event)} with side effects recorded; "
                f"{sum(1 for s in given if s.bp_excursion)} with a BP reading at or above "
                "180 systolic or 110 diastolic.",
                st["body"],
            )
        )
        story.append(_p("Current plan", st["h"]))
        step = fu.step
        if course.is_ended:
            story.append(
                _p(
                    f"Course ended ({course.get_ended_reason_display() or 'no reason'}"
                    f"){': ' + course.ended_note if course.ended_note else ''}.",
                    st["body"],
                )
            )
        elif step is not None and step.session is not None:
            story.append(
                _p(
                    f"Next per protocol: session {step.session.number} "
                    f"({step.session.phase}) from {step.session.on:%d %b %Y}.",
                    st["body"],
                )
            )
        for review in step.reviews if step else ():
            story.append(_p(f"For review: {review.message}", st["body"]))
        m = found.misuse
        story.append(_p("Misuse-risk indicators", st["h"]))
        story.append(
            _p(
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
        story.append(_p("Sources", st["h"]))
        for key in sorted(sources):
            story.append(_p(sources[key], st["small"]))
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    record_event(
        actor=actor,
        action=Action.EXPORT,
        obj=patient,
        detail={"part": "outcomes_pdf", "course_ids": [c.course.pk for c in found.courses]},
    )
    return buffer.getvalue()


__all__ = ["TITLE", "patient_report"]
