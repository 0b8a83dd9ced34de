"""`ketaflow safety-rules`: the published page is generated from the core and cannot drift."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketaflow.clinical import safety_rules

PAGE = Path(__file__).resolve().parents[3] / "docs" / "safety-rules.md"


def test_the_published_page_is_what_the_core_says_now():
    assert PAGE.read_text(encoding="utf-8") == safety_rules.render_markdown(), (
        "docs/safety-rules.md is stale: run `ketaflow safety-rules --output docs/safety-rules.md`"
    )


def test_the_command_prints_writes_and_checks_the_page(tmp_path):
    out = StringIO()
    call_command("safety-rules", stdout=out)
    assert out.getvalue() == safety_rules.render_markdown()
    target = tmp_path / "rules.md"
    call_command("safety-rules", "--output", str(target), stdout=StringIO())
    assert target.read_text(encoding="utf-8") == safety_rules.render_markdown()
    call_command("safety-rules", "--output", str(target), "--check")
    target.write_text("stale", encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("safety-rules", "--output", str(target), "--check")
    assert excinfo.value.returncode == 1
