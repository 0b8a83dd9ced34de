"""What runs when: each periodic job's name and schedule, and the period a moment falls in.

Pure: no Django, no clock (the moment is a parameter). A run is identified by its job, its
clinic (for jobs at a clinic's local time) and the start of its period; the scheduler records
each run once (`models.ScheduledRun`), so a period is run at most once however many scheduler
processes tick in it, and a period missed while no scheduler ran is run at the next tick
(only the current period: a scheduler down for three days sends one reminder round, not
three).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Every:
    """Every `interval`, periods aligned on the Unix epoch in UTC (hourly: on the hour)."""

    interval: timedelta

    def __post_init__(self) -> None:
        if self.interval < timedelta(minutes=1):
            raise ValueError("a periodic job runs at most once a minute")

    def period_start(self, moment: datetime, zone: ZoneInfo | None = None) -> datetime:
        _aware(moment)
        return EPOCH + ((moment - EPOCH) // self.interval) * self.interval


@dataclass(frozen=True)
class DailyAt:
    """Once a day at a wall-clock time in the clinic's zone: the period runs from that time
    today to that time tomorrow (23 or 25 hours across a change of clocks).

    A time the clocks skip (01:30 on the spring-forward night in London) is taken as the
    instant an hour later on the new clock; a time that happens twice (01:30 on the
    fall-back night) as its first occurrence. Either way one instant per day.
    """

    at: time

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None:
            raise ValueError("a daily time is a wall-clock time: the clinic's zone applies")

    def start_on(self, day: date, zone: ZoneInfo) -> datetime:
        """The instant the period of `day` starts, in UTC."""
        return datetime.combine(day, self.at, tzinfo=zone).astimezone(UTC)

    def period_start(self, moment: datetime, zone: ZoneInfo | None = None) -> datetime:
        _aware(moment)
        if zone is None:
            raise ValueError("a daily job needs the clinic's zone")
        day = moment.astimezone(zone).date()
        start = self.start_on(day, zone)
        return start if start <= moment else self.start_on(day - timedelta(days=1), zone)


Schedule = Every | DailyAt


@dataclass(frozen=True)
class Job:
    """A periodic job: its name (the task registered under it in `jobs.TASKS`) and schedule.

    A daily job runs once per clinic, at the time in that clinic's zone, with the clinic's id;
    an interval job runs once for the whole installation.
    """

    name: str
    schedule: Schedule
    about: str

    @property
    def per_clinic(self) -> bool:
        return isinstance(self.schedule, DailyAt)


def _aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("the moment must be an aware datetime")


#: Every periodic job. Times and intervals are the deployment's defaults; each job is safe to
#: run again (the reminder rows, the export rows and the digests' audit trail say what was done).
JOBS: tuple[Job, ...] = (
    Job(
        "questionnaire-reminders",
        Every(timedelta(hours=1)),
        "Email patients a fresh link for questionnaires due (once per form).",
    ),
    Job(
        "rems-forms-due",
        DailyAt(time(8, 0)),
        "Email the clinic's charting staff how many REMS forms are due or overdue.",
    ),
    Job(
        "safety-checks-due",
        DailyAt(time(8, 0)),
        "Email the clinic's clinical staff how many long-term safety checks need action.",
    ),
    Job(
        "expired-exports",
        Every(timedelta(hours=1)),
        "Delete whole-clinic export files and progress-report PDFs past their keeping time.",
    ),
    Job(
        "audit-chain",
        Every(timedelta(hours=6)),
        "Verify the audit log's hash chains; a break is logged and emailed to the clinic admins.",
    ),
    Job(
        "recover-interrupted-work",
        Every(timedelta(minutes=10)),
        "Queue again exports and emails whose worker died mid-way (their lease ran out).",
    ),
    Job(
        "prune-task-results",
        Every(timedelta(days=1)),
        "Delete finished background-task rows older than two weeks (the database backend's).",
    ),
)
JOBS_BY_NAME = {job.name: job for job in JOBS}
