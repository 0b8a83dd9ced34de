"""Every page of the demo, as each role sees it: plain words, one h1, a main landmark.

A crawler signs in as each demo role and follows the links a person could click from the
home page (GET only, two pages per URL pattern), and fails on:
- an internal code on screen: a snake_case word (`gad7_screen_positive`) or a dotted code
  (`observation.minimum`) in the visible text;
- a full page without exactly one `<h1>` or without a `<main>` landmark.
The failure lists every page and token found, so one run shows all that is left to fix.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from ketaflow.accounts.models import User
from ketaflow.conftest import sign_in

pytestmark = pytest.mark.django_db

ROLES = ("frontdesk", "nurse", "prescriber", "admin", "researcher")
PER_PATTERN = 2  # pages visited per URL pattern and role: enough to see each kind of page
MAX_PAGES = 400  # per role: a guard against a crawl that never ends

#: Links a crawl must not follow: they sign out, download, or leave the pages.
SKIP = re.compile(r"^/(admin|api|static|accounts/logout)|\.(pdf|csv|ics|json|ndjson)$|/export")

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
DOTTED = re.compile(r"\b[a-z][a-z0-9]*(?:\.[a-z][a-z0-9_]*)+\b")
#: Dotted words that are prose or addresses, not codes.
PROSE = re.compile(
    r"^(e\.g|i\.e|etc|vs)$|\.(org|com|net|uk|io|gov|nhs|pdf|csv|ics|json|txt|html|py)$"
)


class _Page(HTMLParser):
    """The visible text, the hrefs, and the count of h1 and main elements of a page."""

    HIDDEN = frozenset({"script", "style", "template", "title", "head"})

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.tags: Counter[str] = Counter()
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        found = dict(attrs)
        if found.get("role") == "main":
            self.tags["main"] += 1
        if tag in self.HIDDEN:
            self._hidden += 1
        if tag == "a" and found.get("href"):
            self.links.append(found["href"] or "")
        for name in ("aria-label", "placeholder", "title", "alt"):
            if found.get(name):
                self.text.append(found[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def codes_in(text: str) -> set[str]:
    """Code-like tokens in visible text (e-mail addresses and web addresses left out)."""
    words = re.sub(r"\S+@\S+|https?://\S+|/\S*", " ", text)
    found = set(SNAKE.findall(words))
    found |= {t for t in DOTTED.findall(words) if not PROSE.search(t)}
    return found


def _pattern(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return path
    return f"{match.namespace}:{match.url_name}"


def crawl(client: Client) -> dict[str, list[str]]:
    """Problems found, by page, crawling from the home page."""
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    per_pattern: Counter[str] = Counter()
    queue: deque[str] = deque(["/"])
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        pattern = _pattern(urlsplit(url).path)
        if per_pattern[pattern] >= PER_PATTERN:
            continue
        per_pattern[pattern] += 1
        response = client.get(url)
        visited += 1
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        page = _Page()
        page.feed(html)
        found = [f"code on screen: {t}" for t in sorted(codes_in(" ".join(page.text)))]
        if "<html" in html[:200].lower():
            if page.tags["h1"] != 1:
                found.append(f"{page.tags['h1']} h1 elements (want 1)")
            if not page.tags["main"]:
                found.append("no main landmark")
        if found:
            problems[url] = found
        for href in page.links:
            link, _ = urldefrag(href)
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if SKIP.search(parts.path):
                continue
            queue.append(link)
    return problems


def test_a_code_like_token_is_found_and_prose_is_not() -> None:
    assert codes_in("Blocks the start: requirement.diagnosis_not_in_scope") == {
        "requirement.diagnosis_not_in_scope",
        "diagnosis_not_in_scope",
    }
    assert codes_in("State: not_improving; observation.minimum") == {
        "not_improving",
        "observation.minimum",
    }
    assert not codes_in("Write to help@example.org, e.g. about report.pdf, see /p/abc_def/.")


def test_every_page_each_role_can_reach_speaks_plainly() -> None:
    call_command("seed-demo", "--no-history", stdout=StringIO())
    report: list[str] = []
    for username in ROLES:
        client = sign_in(Client(), User.objects.get(username=username))
        for url, found in crawl(client).items():
            report.append(f"{username} {url}: " + "; ".join(found))
    assert not report, "\n".join(report)
