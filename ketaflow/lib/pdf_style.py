"""Ketaflow's PDF house style (ReportLab): fonts, paragraph styles and the table grid.

One place for the look of every printed record (the REMS-style monitoring record, the
progress report), so they read as one product and a change of font or size is made once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Final
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, TableStyle

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


def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles by role: title, h, body, label, small, notice (the boxed caveat)."""
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


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: record values are escaped, never read as ReportLab markup."""
    return Paragraph(escape(text), style)


#: Thin grey rules, top-aligned cells: every table in a Ketaflow PDF.
GRID = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#cbd5e1")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
)


#: The grid with a shaded header row.
GRID_WITH_HEADER = TableStyle(
    [*GRID.getCommands(), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f5f9"))]
)


#: The diagonal mark on every page of a printout of made-up data (the demo clinic).
SYNTHETIC_MARK: Final = "SYNTHETIC DATA"

_MARGIN: Final = 16 * mm


def a4_document(buffer: IO[bytes], *, title: str, author: str, subject: str = "") -> Any:
    """An A4 document with the house margins (room at the foot for `page_decoration`)."""
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        subject=subject,
        creator="Ketaflow",
    )


def page_decoration(footer: str, marks: Sequence[str] = ()) -> Callable[[Any, Any], None]:
    """Drawn on every page: the footer line, the page number, and any diagonal marks.

    `marks` (e.g. DRAFT, `SYNTHETIC_MARK`) are printed large and faint across the page, so a
    photocopy or a single page torn off still says what it is.
    """
    regular, bold = fonts()
    mark = " · ".join(marks)

    def decorate(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        if mark:
            canvas.setFont(bold, 44 if len(mark) <= 16 else 30)
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.18))
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(40)
            canvas.drawCentredString(0, 0, mark)
            canvas.rotate(-40)
            canvas.translate(-A4[0] / 2, -A4[1] / 2)
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(_MARGIN, 10 * mm, footer)
        canvas.drawRightString(A4[0] - _MARGIN, 10 * mm, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    return decorate
