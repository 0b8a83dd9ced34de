"""The REMS-style monitoring record as a PDF (ReportLab), in Ketaflow's own layout.

It prints `rems.sections(form)` (the same rows as the HTML page), the list of fields the
record could not fill, and on every page the disclaimer that it is not the official form.
An unsigned session gets a diagonal "DRAFT — session not signed" watermark on every page.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ketaflow.treatments.rems import (
    DRAFT_MARK,
    NOT_OFFICIAL,
    SUBMIT_WITHIN_DAYS,
    TITLE,
    RemsForm,
    Section,
    sections,
)

#: A Unicode font if the system has one (names with any accent, the em dash); else Helvetica.
_FONT_PATHS: Final = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
)
_fonts: tuple[str, str] | None = None


def fonts() -> tuple[str, str]:
    """(regular, bold) font names, registering DejaVu Sans once when it is installed."""
    global _fonts
    if _fonts is None:
        _fonts = ("Helvetica", "Helvetica-Bold")
        for regular, bold in _FONT_PATHS:
            if Path(regular).exists() and Path(bold).exists():
                pdfmetrics.registerFont(TTFont("KfSans", regular))
                pdfmetrics.registerFont(TTFont("KfSans-Bold", bold))
                _fonts = ("KfSans", "KfSans-Bold")
                break
    return _fonts


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    base = getSampleStyleSheet()["Normal"]
    return {
        "title": ParagraphStyle("t", parent=base, fontName=bold, fontSize=13.5, leading=17),
        "h": ParagraphStyle(
            "h", parent=base, fontName=bold, fontSize=10.5, leading=13, spaceBefore=7, spaceAfter=3
        ),
        "body": ParagraphStyle("b", parent=base, fontName=regular, fontSize=8.5, leading=10.5),
        "label": ParagraphStyle("l", parent=base, fontName=bold, fontSize=8.5, leading=10.5),
        "small": ParagraphStyle(
            "s", parent=base, fontName=regular, fontSize=7.5, leading=9, textColor=colors.grey
        ),
        "notice": ParagraphStyle(
            "n",
            parent=base,
            fontName=regular,
            fontSize=8.5,
            leading=11,
            alignment=TA_LEFT,
            borderColor=colors.HexColor("#b45309"),
            borderWidth=0.8,
            borderPadding=5,
            backColor=colors.HexColor("#fff7ed"),
        ),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


_GRID = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#cbd5e1")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
)


def _widths(rows: tuple[tuple[str, ...], ...], width: float) -> list[float]:
    """Column widths in proportion to each column's longest text (kept between 5 and 40)."""
    weights = [
        min(
            40,
            max(5, *(len(word) for c in col for word in c.split()), max(len(c) for c in col) / 2),
        )
        for col in zip(*rows, strict=True)
    ]
    total = sum(weights)
    return [width * w / total for w in weights]


def _section(section: Section, st: dict[str, ParagraphStyle], width: float) -> list[Any]:
    parts: list[Any] = [_p(section.title, st["h"])]
    if section.rows:
        rows = [[_p(k, st["label"]), _p(v, st["body"])] for k, v in section.rows]
        parts.append(Table(rows, colWidths=[width * 0.42, width * 0.58], style=_GRID))
    if section.table:
        header, *body = section.table
        data = [[_p(h, st["label"]) for h in header]]
        data += [[_p(c, st["body"]) for c in row] for row in body]
        table = Table(data, colWidths=_widths(section.table, width), repeatRows=1, style=_GRID)
        table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f5f9"))]))
        if section.rows:
            parts.append(Spacer(1, 3))
        parts.append(table)
    if section.note:
        parts.append(Spacer(1, 2))
        parts.append(_p(section.note, st["small"]))
    return [KeepTogether(parts)]


def render(form: RemsForm) -> bytes:
    """The PDF bytes of one record."""
    st = _styles()
    regular, bold = fonts()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=TITLE,
        author=f"Ketaflow — {form.clinic_name}",
        subject=f"{form.patient_name} ({form.mrn}), {form.session_date:%Y-%m-%d}",
        creator="Ketaflow",
    )
    width = doc.width

    def decorate(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        if form.draft:
            canvas.setFont(bold, 44)
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.18))
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(40)
            canvas.drawCentredString(0, 0, DRAFT_MARK)
            canvas.rotate(-40)
            canvas.translate(-A4[0] / 2, -A4[1] / 2)
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(
            16 * mm,
            10 * mm,
            f"Not the official SPRAVATO REMS form · {form.version} · generated "
            f"{form.generated_at:%d %b %Y %H:%M} ({form.zone}) · session {form.session_pk}",
        )
        canvas.drawRightString(A4[0] - 16 * mm, 10 * mm, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    story: list[Any] = [_p(TITLE, st["title"]), Spacer(1, 4)]
    story.append(
        _p(
            f"{form.patient_name} · MRN {form.mrn} · {form.session_date:%d %b %Y} · "
            f"{form.clinic_name} · times in {form.zone}",
            st["body"],
        )
    )
    story.append(Spacer(1, 6))
    story.append(_p(NOT_OFFICIAL, st["notice"]))
    story.append(Spacer(1, 4))
    if form.draft:
        story.append(
            _p(f"{DRAFT_MARK}: values may still change until a prescriber signs.", st["label"])
        )
    for section in sections(form):
        story += _section(section, st, width)
    story.append(_p("Not in the record (fill these on the official form)", st["h"]))
    if form.missing:
        story.append(
            Table(
                [[_p(m.field, st["label"]), _p(m.why, st["body"])] for m in form.missing],
                colWidths=[width * 0.42, width * 0.58],
                style=_GRID,
            )
        )
    else:
        story.append(_p("Nothing: every field came from the session record.", st["body"]))
    story.append(Spacer(1, 6))
    story.append(
        _p(
            f"Submit the official form by {form.submit_by:%d %b %Y} "
            f"({SUBMIT_WITHIN_DAYS} days after the session).",
            st["body"],
        )
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
