"""The services that change a course's inputs queue one refresh per course, after commit."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import TestCase, override_settings
from django_tasks import default_task_backend

from ketaflow.lib import derived
from ketaflow.outcomes.models import CourseOutcome
from ketaflow.outcomes.tests.conftest import gad7, past_sessions

pytestmark = pytest.mark.django_db
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _queued() -> list[tuple[Any, ...]]:
    return [
        tuple(r.args)
        for r in default_task_backend.results  # type: ignore[attr-defined]
        if r.task.name == "refresh_outcomes"
    ]


def test_many_changes_in_one_transaction_queue_one_refresh_per_course_after_commit(
    prescriber: Any, nurse: Any, patient: Any, protocols: Any
) -> None:
    from ketaflow.courses.services import change_phase, start_course

    day = past_sessions(1)[0]
    with override_settings(TASKS=DUMMY):
        with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
            course = start_course(prescriber, patient, protocols["iv-racemic"], started_on=day)
            change_phase(prescriber, course, "induction", reason="Eligible and consented")
            gad7(nurse, patient, day, 15)
            gad7(nurse, patient, day, 14, context="baseline")
            assert _queued() == []  # nothing before the commit
        assert sorted(_queued()) == [("course", course.pk), ("patient", patient.pk)]


def test_a_rolled_back_change_queues_nothing_and_a_savepoint_rollback_is_forgotten(
    patient: Any,
) -> None:
    with override_settings(TASKS=DUMMY):
        with (
            TestCase.captureOnCommitCallbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            derived.course_changed(41)
            raise RuntimeError("the write failed")
        assert _queued() == []
        with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
            try:
                with transaction.atomic():
                    derived.course_changed(42)
                    raise RuntimeError("rolled back to the savepoint")
            except RuntimeError:
                pass
            derived.course_changed(42)  # changed again after the rollback: still refreshed
            derived.course_changed(42)
        assert _queued() == [("course", 42)]


def test_the_queued_refresh_writes_the_row(prescriber: Any, patient: Any, protocols: Any) -> None:
    from ketaflow.courses.services import start_course

    with TestCase.captureOnCommitCallbacks(execute=True):  # tests run jobs where queued
        course = start_course(
            prescriber, patient, protocols["iv-racemic"], started_on=past_sessions(1)[0]
        )
    assert CourseOutcome.objects.filter(course=course).exists()
