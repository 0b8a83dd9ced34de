"""Appointments and plans store a phase's code; pages show the protocol's name for it."""

from __future__ import annotations

from django.template import Context, Template

from ketaflow.clinical.protocols import builtin

TEMPLATE = Template("{% load course_words %}{{ code|phase_name:protocols }}")


def test_the_filter_names_a_phase_from_one_protocol_or_several() -> None:
    iv, esk = builtin("iv-racemic"), builtin("esketamine-label")
    name = iv.phase_name("taper_weekly")
    assert TEMPLATE.render(Context({"code": "taper_weekly", "protocols": iv})) == name
    assert TEMPLATE.render(Context({"code": "taper_weekly", "protocols": (esk, iv)})) == name
    assert TEMPLATE.render(Context({"code": "old_phase", "protocols": ()})) == "old phase"
