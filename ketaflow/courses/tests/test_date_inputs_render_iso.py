"""A browser's `<input type="date">` reads only YYYY-MM-DD: a date the booking form is given
(a free slot chosen in the finder) must be drawn that way, or the box shows empty and the
booking fails with "This field is required" (found by the new-patient browser walk)."""

from __future__ import annotations

from datetime import date

from ketaflow.courses.forms import BookForm


def test_the_booking_forms_date_is_drawn_as_the_date_input_reads_it() -> None:
    form = BookForm(initial={"day": date(2026, 11, 26)}, chairs=[])
    assert 'value="2026-11-26"' in str(form["day"])
