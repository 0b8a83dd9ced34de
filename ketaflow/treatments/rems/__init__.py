"""A REMS-style patient monitoring record, assembled from an esketamine session's stored rows.

The SPRAVATO REMS asks for a Patient Monitoring Form after every outpatient session, submitted
within 7 days (anchors-and-users.md §1.7; clinical.md §4.1, S1/S3). Ketaflow never asks for
those values again: `assemble` reads them from the session (order, administration events,
vitals and their alerts, MOAA/S and CADSS, side effects, rescue medication, the controlled-
substance log, the discharge record) and lists every field it cannot fill in `RemsForm.missing`
rather than guessing. It is our own layout, not Janssen's form; the clinic still submits the
official one.

- `form`: the record as data (`RemsForm` and its parts) and what it is called.
- `rules`: the form's reading rules as plain functions (the ~40-minute reading, resolution).
- `rows`: the session's rows the form is filled from, loaded in one place.
- `assembly`: `assemble`, one named step per part of the form.
- `sections`: the record as printed, shared by the HTML page and `pdf`.
- `selectors`: scoped, audited reads (one record, the forms due); `services`: the one write.
"""

from __future__ import annotations

from ketaflow.treatments.rems.assembly import assemble
from ketaflow.treatments.rems.form import (
    DRAFT_MARK,
    FORM_VERSION,
    NOT_OFFICIAL,
    SUBMIT_WITHIN_DAYS,
    TITLE,
    AdverseEvent,
    Finding,
    Missing,
    NotApplicable,
    RemsForm,
    TimedScore,
    TimedVitals,
)
from ketaflow.treatments.rems.rules import nearest, resolution
from ketaflow.treatments.rems.sections import Section, sections
from ketaflow.treatments.rems.selectors import (
    DueRow,
    due_label,
    esketamine_session,
    export_form,
    forms_due,
)
from ketaflow.treatments.rems.services import mark_submitted

__all__ = [
    "DRAFT_MARK",
    "FORM_VERSION",
    "NOT_OFFICIAL",
    "SUBMIT_WITHIN_DAYS",
    "TITLE",
    "AdverseEvent",
    "DueRow",
    "Finding",
    "Missing",
    "NotApplicable",
    "RemsForm",
    "Section",
    "TimedScore",
    "TimedVitals",
    "assemble",
    "due_label",
    "esketamine_session",
    "export_form",
    "forms_due",
    "mark_submitted",
    "nearest",
    "resolution",
    "sections",
]
