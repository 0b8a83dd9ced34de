"""A tick enqueues each job's current period once; the next tick in that period enqueues none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from ketaflow.ops.models import Heartbeat
from ketaflow.scheduler.jobs import TASKS
from ketaflow.scheduler.models import ScheduledRun
from ketaflow.scheduler.schedule import JOBS, JOBS_BY_NAME
from ketaflow.scheduler.ticks import Due, claim_and_enqueue, tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("db_tasks")]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _runs() -> set[tuple[str, int | None, datetime]]:
    return set(ScheduledRun.objects.values_list("job", "clinic_id", "period_start"))


def test_every_scheduled_job_has_a_task_and_every_task_a_schedule() -> None:
    assert set(TASKS) == {job.name for job in JOBS}


def test_the_first_tick_enqueues_every_job_once_and_daily_jobs_once_per_clinic(
    clinic: Any, other_clinic: Any
) -> None:
    now = timezone.now()  # the clock fixture: 10:30 UTC on 25 November 2026
    runs = tick(now)
    london_8 = utc(2026, 11, 25, 8, 0)  # 08:00 GMT today
    new_york_8 = utc(2026, 11, 24, 13, 0)  # 05:30 in New York: yesterday's 08:00 EST
    assert _runs() == {
        ("questionnaire-reminders", None, utc(2026, 11, 25, 10, 0)),
        ("expired-exports", None, utc(2026, 11, 25, 10, 0)),
        ("audit-chain", None, utc(2026, 11, 25, 6, 0)),  # every 6 hours from midnight UTC
        ("recover-interrupted-work", None, utc(2026, 11, 25, 10, 30)),  # every 10 minutes
        ("prune-task-results", None, utc(2026, 11, 25, 0, 0)),  # daily, from midnight UTC
        ("rems-forms-due", clinic.pk, london_8),
        ("safety-checks-due", clinic.pk, london_8),
        ("rems-forms-due", other_clinic.pk, new_york_8),
        ("safety-checks-due", other_clinic.pk, new_york_8),
    }
    assert len(runs) == 9  # five installation-wide jobs, two daily jobs in each of two clinics
    tasks = {str(t.id): t for t in DBTaskResult.objects.all()}
    assert len(tasks) == 9
    for run in ScheduledRun.objects.all():
        queued = tasks[run.task_result_id]
        assert queued.task_path == TASKS[run.job].module_path
        args = [run.clinic_id] if JOBS_BY_NAME[run.job].per_clinic else []
        assert queued.args_kwargs == {"args": args, "kwargs": {}}
        assert run.enqueued_at == now


def test_a_second_tick_in_the_same_period_enqueues_nothing(clinic: Any) -> None:
    now = timezone.now()
    assert len(tick(now)) == 7
    # 10:39, still in every job's period (the shortest, recovery's, is 10 minutes)
    assert tick(now + timedelta(minutes=9)) == []
    assert ScheduledRun.objects.count() == 7 and DBTaskResult.objects.count() == 7


def test_the_next_hour_enqueues_the_hourly_jobs_and_the_next_day_the_daily_ones(
    clinic: Any,
) -> None:
    now = timezone.now()
    tick(now)
    assert sorted(r.job for r in tick(now + timedelta(hours=1))) == [
        "expired-exports",
        "questionnaire-reminders",
        "recover-interrupted-work",
    ]
    next_morning = utc(2026, 11, 26, 8, 0)
    assert sorted((r.job, r.period_start) for r in tick(next_morning)) == [
        ("audit-chain", utc(2026, 11, 26, 6, 0)),  # once, not once per 6 hours missed
        ("expired-exports", next_morning),
        ("prune-task-results", utc(2026, 11, 26, 0, 0)),
        ("questionnaire-reminders", next_morning),
        ("recover-interrupted-work", next_morning),
        ("rems-forms-due", next_morning),
        ("safety-checks-due", next_morning),
    ]
    assert DBTaskResult.objects.count() == ScheduledRun.objects.count() == 17


def test_a_run_another_scheduler_recorded_first_is_not_enqueued_again(clinic: Any) -> None:
    """The race: both saw no row; the other inserted first, so this insert fails and stops."""
    now = timezone.now()
    due = Due(JOBS_BY_NAME["rems-forms-due"], clinic, utc(2026, 11, 25, 8, 0))
    ScheduledRun.objects.create(
        job=due.job.name, clinic=clinic, period_start=due.period_start, enqueued_at=now
    )
    assert claim_and_enqueue(due, now) is None
    assert DBTaskResult.objects.count() == 0
    # the installation-wide runs (no clinic) are as unique as the clinic's
    hourly = Due(JOBS_BY_NAME["expired-exports"], None, utc(2026, 11, 25, 10, 0))
    assert claim_and_enqueue(hourly, now) is not None
    assert claim_and_enqueue(hourly, now) is None
    assert DBTaskResult.objects.count() == 1


def test_a_failed_enqueue_leaves_no_run_so_the_next_tick_tries_again(
    clinic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = DatabaseBackend.enqueue

    def refuse(self: Any, task: Any, args: Any, kwargs: Any) -> Any:
        if task.name == "email_rems_forms_due":
            raise ConnectionError("queue unavailable")
        return real(self, task, args, kwargs)

    monkeypatch.setattr(DatabaseBackend, "enqueue", refuse)
    now = timezone.now()
    assert sorted(r.job for r in tick(now)) == [
        "audit-chain",
        "expired-exports",
        "prune-task-results",
        "questionnaire-reminders",
        "recover-interrupted-work",
        "safety-checks-due",
    ]
    assert not ScheduledRun.objects.filter(job="rems-forms-due").exists()
    monkeypatch.setattr(DatabaseBackend, "enqueue", real)
    assert [r.job for r in tick(now + timedelta(minutes=1))] == ["rems-forms-due"]


def test_the_command_runs_one_tick_at_the_given_instant(clinic: Any) -> None:
    out = StringIO()
    call_command("scheduler", "--once", "--now", "2026-11-25T09:15:00+00:00", stdout=out)
    assert "enqueued questionnaire-reminders for 2026-11-25T09:00:00+00:00" in out.getvalue()
    assert f"enqueued rems-forms-due (clinic {clinic.pk}) for 2026-11-25T08:00:00+00:00" in (
        out.getvalue()
    )
    assert ScheduledRun.objects.count() == 7
    out = StringIO()  # 09:19: still in every job's period (recovery's is 09:10-09:20)
    call_command("scheduler", "--once", "--now", "2026-11-25T09:19:00+00:00", stdout=out)
    assert out.getvalue() == ""


def test_each_tick_of_the_command_records_the_scheduler_heartbeat(clinic: Any) -> None:
    """/readyz (KETAFLOW_READY_HEARTBEATS=scheduler) reads this row to tell a live scheduler
    from a stalled one: every tick beats, even one that enqueues nothing."""
    assert not Heartbeat.objects.filter(name="scheduler").exists()
    call_command("scheduler", "--once", "--now", "2026-11-25T09:15:00+00:00", stdout=StringIO())
    assert Heartbeat.objects.get(name="scheduler").last_beat_at == utc(2026, 11, 25, 9, 15)
    out = StringIO()
    call_command("scheduler", "--once", "--now", "2026-11-25T09:16:00+00:00", stdout=out)
    assert out.getvalue() == ""  # nothing due, yet the beat moved on
    (beat,) = Heartbeat.objects.filter(name="scheduler")
    assert beat.last_beat_at == utc(2026, 11, 25, 9, 16)


def test_the_command_refuses_an_instant_without_once_or_without_an_offset() -> None:
    with pytest.raises(CommandError, match="--once"):
        call_command("scheduler", "--now", "2026-11-25T09:15:00+00:00")
    with pytest.raises(CommandError, match="offset"):
        call_command("scheduler", "--once", "--now", "2026-11-25T09:15:00")
