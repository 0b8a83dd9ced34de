"""Every date box is the browser's picker, and a date shown again stays in it (YYYY-MM-DD)."""

from __future__ import annotations

from datetime import date

from django import forms

from ketaflow.lib.forms import DateInput


class _Filter(forms.Form):
    since = forms.DateField(widget=DateInput())


def test_a_date_shown_again_is_drawn_as_the_picker_reads_it() -> None:
    html = str(_Filter(initial={"since": date(2026, 11, 26)})["since"])
    assert 'type="date"' in html and 'value="2026-11-26"' in html


def test_every_date_box_of_the_apps_is_this_one() -> None:
    """Filters shown again with their dates (the audit log, the dashboard), and every form of
    courses, safety and the chart, use it."""
    from ketaflow.auditlog.views import AuditFilterForm
    from ketaflow.courses.forms import DATE as COURSES_DATE
    from ketaflow.outcomes.forms import DashboardFilterForm
    from ketaflow.safety.forms import DATE as SAFETY_DATE

    widgets = [
        AuditFilterForm.base_fields["since"].widget,
        AuditFilterForm.base_fields["until"].widget,
        DashboardFilterForm.base_fields["started_from"].widget,
        DashboardFilterForm.base_fields["started_to"].widget,
        COURSES_DATE,
        SAFETY_DATE,
    ]
    assert all(isinstance(w, DateInput) for w in widgets)
    assert all(w.format == "%Y-%m-%d" for w in widgets)
