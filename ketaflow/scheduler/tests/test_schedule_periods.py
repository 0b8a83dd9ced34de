"""The period a moment falls in: intervals on the UTC clock, daily times on the clinic's."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.scheduler.schedule import JOBS, DailyAt, Every

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
HOURLY = Every(timedelta(hours=1))
AT_8 = DailyAt(time(8, 0))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_an_hourly_period_starts_on_the_hour_and_ends_before_the_next() -> None:
    assert HOURLY.period_start(utc(2026, 11, 25, 10, 0)) == utc(2026, 11, 25, 10, 0)
    assert HOURLY.period_start(utc(2026, 11, 25, 10, 59, 59)) == utc(2026, 11, 25, 10, 0)
    assert HOURLY.period_start(utc(2026, 11, 25, 11, 0)) == utc(2026, 11, 25, 11, 0)


def test_an_interval_is_the_same_instant_whatever_zone_the_moment_is_written_in() -> None:
    moment = datetime(2026, 7, 1, 9, 45, tzinfo=LONDON)  # 08:45 UTC
    assert HOURLY.period_start(moment) == utc(2026, 7, 1, 8, 0)
    assert Every(timedelta(minutes=15)).period_start(moment) == utc(2026, 7, 1, 8, 45)


def test_an_interval_under_a_minute_and_a_naive_moment_are_refused() -> None:
    with pytest.raises(ValueError, match="once a minute"):
        Every(timedelta(seconds=30))
    with pytest.raises(ValueError, match="aware"):
        HOURLY.period_start(datetime(2026, 11, 25, 10, 0))
    with pytest.raises(ValueError, match="aware"):
        AT_8.period_start(datetime(2026, 11, 25, 10, 0), LONDON)


def test_a_daily_time_is_the_clinics_wall_clock_in_winter_and_in_summer() -> None:
    assert AT_8.period_start(utc(2026, 11, 25, 10, 30), LONDON) == utc(2026, 11, 25, 8, 0)
    assert AT_8.period_start(utc(2026, 7, 1, 10, 30), LONDON) == utc(2026, 7, 1, 7, 0)
    # New York at 10:30 UTC is 05:30 local: still yesterday's period (08:00 EST = 13:00 UTC).
    assert AT_8.period_start(utc(2026, 11, 25, 10, 30), NEW_YORK) == utc(2026, 11, 24, 13, 0)


def test_before_the_daily_time_the_moment_belongs_to_yesterdays_period() -> None:
    assert AT_8.period_start(utc(2026, 11, 25, 7, 59), LONDON) == utc(2026, 11, 24, 8, 0)
    assert AT_8.period_start(utc(2026, 11, 25, 8, 0), LONDON) == utc(2026, 11, 25, 8, 0)


def test_across_the_spring_change_the_period_lasts_23_hours_and_still_starts_at_8_local() -> None:
    # London moves to BST at 01:00 UTC on Sunday 29 March 2026.
    saturday = AT_8.period_start(utc(2026, 3, 28, 12, 0), LONDON)
    sunday = AT_8.period_start(utc(2026, 3, 29, 12, 0), LONDON)
    assert saturday == utc(2026, 3, 28, 8, 0) and sunday == utc(2026, 3, 29, 7, 0)
    assert sunday - saturday == timedelta(hours=23)
    assert sunday.astimezone(LONDON).time() == time(8, 0)
    # 07:30 UTC on Sunday is 08:30 BST: already Sunday's period.
    assert AT_8.period_start(utc(2026, 3, 29, 7, 30), LONDON) == sunday


def test_across_the_autumn_change_the_period_lasts_25_hours() -> None:
    # London returns to GMT at 01:00 UTC on Sunday 25 October 2026.
    saturday = AT_8.period_start(utc(2026, 10, 24, 12, 0), LONDON)
    sunday = AT_8.period_start(utc(2026, 10, 25, 12, 0), LONDON)
    assert saturday == utc(2026, 10, 24, 7, 0) and sunday == utc(2026, 10, 25, 8, 0)
    assert sunday - saturday == timedelta(hours=25)
    # 07:30 UTC on Sunday is 07:30 GMT: still Saturday's period.
    assert AT_8.period_start(utc(2026, 10, 25, 7, 30), LONDON) == saturday


def test_a_time_the_clocks_skip_or_repeat_still_gives_one_instant_that_day() -> None:
    at_0130 = DailyAt(time(1, 30))
    # 01:30 does not exist on 29 March (01:00 GMT -> 02:00 BST): taken on the old clock.
    assert at_0130.start_on(datetime(2026, 3, 29).date(), LONDON) == utc(2026, 3, 29, 1, 30)
    # 01:30 happens twice on 25 October: the first (BST) is taken.
    assert at_0130.start_on(datetime(2026, 10, 25).date(), LONDON) == utc(2026, 10, 25, 0, 30)


def test_a_daily_job_needs_the_clinics_zone() -> None:
    with pytest.raises(ValueError, match="zone"):
        AT_8.period_start(utc(2026, 11, 25, 10, 0))
    with pytest.raises(ValueError, match="wall-clock"):
        DailyAt(time(8, 0, tzinfo=UTC))


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
)
zones = st.sampled_from([LONDON, NEW_YORK, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")])
times = st.times()


@given(moment=moments, zone=zones, at=times)
def test_every_moment_falls_in_exactly_one_daily_period(
    moment: datetime, zone: ZoneInfo, at: time
) -> None:
    daily = DailyAt(at)
    start = daily.period_start(moment, zone)
    assert start <= moment
    assert daily.period_start(start, zone) == start  # the start belongs to its own period
    # the next period starts after the moment, within a day and an hour or so
    next_start = daily.start_on(start.astimezone(zone).date() + timedelta(days=1), zone)
    if next_start <= moment:  # the start fell on a skipped time: local date moved on
        next_start = daily.start_on(start.astimezone(zone).date() + timedelta(days=2), zone)
    assert moment < next_start <= start + timedelta(hours=26)


@given(moment=moments, minutes=st.integers(min_value=1, max_value=7 * 24 * 60))
def test_every_moment_falls_in_exactly_one_interval_period(moment: datetime, minutes: int) -> None:
    every = Every(timedelta(minutes=minutes))
    start = every.period_start(moment)
    assert start <= moment < start + every.interval
    assert every.period_start(start) == start


def test_the_job_names_are_unique_and_daily_jobs_run_per_clinic() -> None:
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))
    assert {job.name for job in JOBS if job.per_clinic} == {"rems-forms-due", "safety-checks-due"}
