"""No template carries what the Content-Security-Policy refuses (#15): inline style sheets,
style attributes, inline scripts or event-handler attributes. The browser walk catches them
on the pages it opens; this catches them in every template, opened or not."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFUSED = {
    "style sheet": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
}


def test_no_template_needs_unsafe_inline() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}: {what}"
        for path in sorted(ROOT.glob("**/templates/**/*.html"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        for what, pattern in REFUSED.items()
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_scan_finds_what_it_looks_for() -> None:
    samples = {
        "style sheet": "<style>p{}</style>",
        "style attribute": '<p style="color:red">',
        "event handler": '<a onclick="go()">',
        "inline script": "<script>alert(1)</script>",
    }
    for what, sample in samples.items():
        assert REFUSED[what].search(sample), what
    assert not REFUSED["inline script"].search('<script src="/static/x.js" defer></script>')
