"""Stored names read as words on screen (`{{ value|words }}`)."""

from __future__ import annotations

from django.template import Context, Template

from ketaflow.lib.words import words


def test_snake_case_names_read_as_words_and_other_text_is_kept() -> None:
    assert words("nell (clinic_admin)") == "nell (clinic admin)"
    assert words("rems_monitoring_record") == "rems monitoring record"
    assert words("Dr Smith, MD") == "Dr Smith, MD"
    assert words(None) == ""


def test_the_filter_loads_in_any_template_and_still_escapes() -> None:
    html = Template("{% load words %}{{ v|words }}").render(Context({"v": "<b>front_desk</b>"}))
    assert html == "&lt;b&gt;front desk&lt;/b&gt;"
