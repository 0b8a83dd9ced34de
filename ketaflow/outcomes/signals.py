"""Signal hooks that keep the `CourseOutcome` summary current.

A saved response, session, appointment, course or phase change schedules a refresh of the
affected course(s) *after the transaction commits* (`transaction.on_commit`): the summary
then reads the committed state, the write itself is never slowed by a failure here, and a
rolled-back write refreshes nothing. A refresh that fails is logged, never raised: the
summary is derived and `rebuild_course_outcomes` can always recompute it. Bulk inserts
(which send no signals) call `rebuild_course_outcomes` themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

log = logging.getLogger(__name__)
_UID = "ketaflow.outcomes.refresh"


def _later(kind: str, key: int) -> None:
    def run() -> None:
        from ketaflow.outcomes import services

        try:
            if kind == "patient":
                services.refresh_patient_outcomes(key)
            else:
                services.refresh_course_outcome(key)
        except Exception:  # the summary is derived; never break the write that triggered it
            log.exception("could not refresh the outcome summary of %s %s", kind, key)

    transaction.on_commit(run)


def _on_response(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _later("patient", instance.patient_id)


def _on_course_part(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _later("course", instance.course_id)


def _on_course(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _later("course", instance.pk)


def connect() -> None:
    from ketaflow.courses.models import Appointment, Course, PhaseChange
    from ketaflow.questionnaires.models import InstrumentResponse
    from ketaflow.treatments.models import TreatmentSession

    post_save.connect(_on_response, sender=InstrumentResponse, dispatch_uid=f"{_UID}.response")
    post_save.connect(_on_course_part, sender=TreatmentSession, dispatch_uid=f"{_UID}.session")
    post_save.connect(_on_course_part, sender=Appointment, dispatch_uid=f"{_UID}.appointment")
    post_save.connect(_on_course_part, sender=PhaseChange, dispatch_uid=f"{_UID}.phase")
    post_save.connect(_on_course, sender=Course, dispatch_uid=f"{_UID}.course")
