"""The free-slot finder: the pure computation (edges included) and the booking page's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest

from ketaflow.courses.derive.slots import free_starts
from ketaflow.lib.clock import at_clinic, local

HOUR = timedelta(hours=1)
MIN = timedelta(minutes=1)


@dataclass(frozen=True)
class London:
    timezone: str = "Europe/London"


LONDON = London()
DAY = date(2026, 6, 1)  # a Monday in summer time


def t(hh: int, mm: int = 0, day: date = DAY) -> datetime:
    return at_clinic(day, time(hh, mm), LONDON)


def whole_day(day: date = DAY) -> tuple[datetime, datetime]:
    return t(0, 0, day), t(0, 0, day + timedelta(days=1))


def starts(windows, taken=(), *, held=60 * MIN, turnover=15 * MIN, day=DAY, now=None):
    found = free_starts(
        windows,
        taken,
        held=held,
        turnover=turnover,
        day=whole_day(day),
        not_before=now or datetime(2026, 1, 1, tzinfo=UTC),
    )
    return [local(s, LONDON).strftime("%H:%M") for s in found]


def test_a_closed_day_has_no_free_time():
    assert starts([]) == []


def test_an_empty_chair_offers_every_quarter_hour_whose_whole_stay_fits():
    found = starts([(t(8), t(12))], held=130 * MIN)
    assert found[0] == "08:00"
    assert found[-1] == "09:45"  # 09:45 + 130 min = 11:55; 10:00 would end after 12:00
    assert len(found) == 8


def test_a_stay_touching_a_booking_plus_turnover_is_free_and_one_minute_more_is_not():
    taken = [(t(10), t(11))]
    found = starts([(t(8), t(14))], taken, held=60 * MIN, turnover=15 * MIN)
    assert "08:45" in found  # ends 09:45, + 15 min turnover = 10:00: touches, does not overlap
    assert "09:00" not in found
    assert "10:30" not in found
    assert "11:00" not in found  # the turnover after the booking is not over
    assert "11:15" in found  # exactly when the turnover ends


def test_the_first_moment_after_a_booking_is_offered_even_off_the_quarter_hour():
    taken = [(t(8), t(10, 10))]
    found = starts([(t(8), t(14))], taken, held=60 * MIN, turnover=15 * MIN)
    assert found[0] == "10:25"
    assert "10:30" in found


def test_nothing_in_the_past_is_offered():
    found = starts([(t(8), t(12))], now=t(9, 5))
    assert found[0] == "09:15"


def test_a_stay_may_not_straddle_two_separate_openings():
    found = starts([(t(8), t(10)), (t(10, 30), t(12))], held=90 * MIN)
    assert found == ["08:00", "08:15", "08:30", "10:30"]


def test_on_the_spring_clock_change_the_missing_hour_is_never_offered():
    # 29 March 2026: London's clocks go from 01:00 to 02:00. An opening 00:00-04:00 wall time
    # is three real hours; the grid runs in real time and shows wall-clock starts.
    day = date(2026, 3, 29)
    found = starts([(t(0, 0, day), t(4, 0, day))], held=60 * MIN, day=day)
    assert found == [
        "00:00",
        "00:15",
        "00:30",
        "00:45",
        "02:00",
        "02:15",
        "02:30",
        "02:45",
        "03:00",
    ]
    start, end = whole_day(day)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)


def test_starts_outside_the_day_are_left_out():
    # An overnight extra opening seen from the second day: only that day's starts.
    nxt = DAY + timedelta(days=1)
    found = starts([(t(22), t(2, 0, nxt))], held=60 * MIN, day=nxt)
    assert found == ["00:00", "00:15", "00:30", "00:45", "01:00"]


# ---------------------------------------------------------------------------- the page

pytestmark_db = pytest.mark.django_db


@pytest.fixture
def busy_monday(front_desk, second_course, chairs, monday, at):
    from ketaflow.courses.services import book_appointment

    return book_appointment(front_desk, second_course, chair=chairs[0], starts_at=at(monday, 9))


@pytestmark_db
def test_the_selector_leaves_out_a_booked_chair_time_and_every_start_it_offers_books(
    front_desk, course, chairs, monday, at, busy_monday
):
    from ketaflow.courses.selectors import free_slots
    from ketaflow.courses.services import book_appointment

    (chair1,) = free_slots(front_desk, course, monday, chairs[0])
    hm = [s.strftime("%H:%M") for s in chair1.starts]
    # IV: 130 min in the chair + 15 min turnover around the 09:00-11:10 booking.
    assert "08:00" not in hm and "09:00" not in hm
    assert hm[0] == "11:25"
    assert hm[-1] == "15:45"
    # The service's own checks agree: the first and the last start offered both book.
    assert book_appointment(front_desk, course, chair=chairs[0], starts_at=chair1.starts[0])
    later = free_slots(front_desk, course, monday + timedelta(days=7), chairs[0])[0].starts
    assert book_appointment(front_desk, course, chair=chairs[0], starts_at=later[-1])


@pytestmark_db
def test_all_chairs_are_listed_and_a_closed_day_has_none(
    front_desk, clinic_admin, course, chairs, monday, busy_monday
):
    from ketaflow.courses.selectors import free_slots
    from ketaflow.courses.services import close_day

    both = free_slots(front_desk, course, monday)
    assert [r.chair.name for r in both] == ["Chair 1", "Chair 2"]
    assert both[1].starts[0].strftime("%H:%M") == "08:00"
    tuesday = monday + timedelta(days=1)
    close_day(clinic_admin, on=tuesday, reason="Training")
    assert all(r.starts == [] for r in free_slots(front_desk, course, tuesday))
    saturday = monday + timedelta(days=5)
    assert all(r.starts == [] for r in free_slots(front_desk, course, saturday))


@pytestmark_db
def test_the_book_page_lists_free_times_as_buttons_that_fill_the_form(
    client, login, front_desk, course, chairs, monday, busy_monday
):
    login(client, front_desk)
    url = f"/courses/{course.pk}/book/"
    page = client.get(url, {"find_day": monday.isoformat(), "find_chair": chairs[0].pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Free times" in html
    link = f"?day={monday.isoformat()}&amp;chair={chairs[0].pk}&amp;at=11:25"
    assert link in html
    assert ">09:00<" not in html
    filled = client.get(url, {"day": monday.isoformat(), "chair": chairs[0].pk, "at": "11:25"})
    form = filled.context["form"]
    assert form.initial["at"] == time(11, 25)
    assert form.initial["chair"] == chairs[0]
    assert form.initial["day"] == monday
    assert 'value="11:25"' in filled.content.decode()


@pytestmark_db
def test_a_bad_finder_day_shows_the_form_error_not_a_500(client, login, front_desk, course):
    login(client, front_desk)
    page = client.get(f"/courses/{course.pk}/book/", {"find_day": "not-a-day"})
    assert page.status_code == 200
    assert page.context["slots"] is None
    assert page.context["finder"].errors
