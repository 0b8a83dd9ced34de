"""The REMS-style monitoring record as a PDF (ReportLab), in Ketaflow's own layout.

It prints `rems.sections(form)` (the same rows as the HTML page), the list of fields the
record could not fill, and on every page the disclaimer that it is not the official form.
An unsigned session gets a diagonal "DRAFT — session not signed" watermark on every page.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    KeepTogether,
    Spacer,
    Table,
)

from ketaflow.lib.pdf_style import (
    GRID,
    GRID_WITH_HEADER,
    SYNTHETIC_MARK,
    a4_document,
    page_decoration,
    para,
    styles,
)
from ketaflow.treatments.rems.form import (
    DRAFT_MARK,
    NOT_OFFICIAL,
    SUBMIT_WITHIN_DAYS,
    TITLE,
    RemsForm,
)
from ketaflow.treatments.rems.sections import Section, sections


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
    parts: list[Any] = [para(section.title, st["h"])]
    if section.rows:
        rows = [[para(k, st["label"]), para(v, st["body"])] for k, v in section.rows]
        parts.append(Table(rows, colWidths=[width * 0.42, width * 0.58], style=GRID))
    if section.table:
        header, *body = section.table
        data = [[para(h, st["label"]) for h in header]]
        data += [[para(c, st["body"]) for c in row] for row in body]
        table = Table(
            data, colWidths=_widths(section.table, width), repeatRows=1, style=GRID_WITH_HEADER
        )
        if section.rows:
            parts.append(Spacer(1, 3))
        parts.append(table)
    if section.note:
        parts.append(Spacer(1, 2))
        parts.append(para(section.note, st["small"]))
    return [KeepTogether(parts)]


def render(form: RemsForm) -> bytes:
    """The PDF bytes of one record."""
    st = styles()
    buffer = BytesIO()
    doc = a4_document(
        buffer,
        title=TITLE,
        author=f"Ketaflow — {form.clinic_name}",
        subject=f"{form.patient_name} ({form.mrn}), {form.session_date:%Y-%m-%d}",
    )
    width = doc.width
    decorate = page_decoration(
        f"Not the official SPRAVATO REMS form · {form.version} · generated "
        f"{form.generated_at:%d %b %Y %H:%M} ({form.zone}) · session {form.session_pk}",
        [m for m, on in ((DRAFT_MARK, form.draft), (SYNTHETIC_MARK, form.synthetic)) if on],
    )

    story: list[Any] = [para(TITLE, st["title"]), Spacer(1, 4)]
    story.append(
        para(
            f"{form.patient_name} · MRN {form.mrn} · {form.session_date:%d %b %Y} · "
            f"{form.clinic_name} · times in {form.zone}",
            st["body"],
        )
    )
    story.append(Spacer(1, 6))
    story.append(para(NOT_OFFICIAL, st["notice"]))
    story.append(Spacer(1, 4))
    if form.draft:
        story.append(
            para(f"{DRAFT_MARK}: values may still change until a prescriber signs.", st["label"])
        )
    for section in sections(form):
        story += _section(section, st, width)
    story.append(para("Not in the record (fill these on the official form)", st["h"]))
    if form.missing:
        story.append(
            Table(
                [[para(m.field, st["label"]), para(m.why, st["body"])] for m in form.missing],
                colWidths=[width * 0.42, width * 0.58],
                style=GRID,
            )
        )
    else:
        story.append(para("Nothing: every field came from the session record.", st["body"]))
    story.append(Spacer(1, 6))
    story.append(
        para(
            f"Submit the official form by {form.submit_by:%d %b %Y} "
            f"({SUBMIT_WITHIN_DAYS} days after the session).",
            st["body"],
        )
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
