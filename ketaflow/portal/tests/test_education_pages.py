"""Patient education: reachable from the link without signing in, sourced, plain language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaflow.clinical.evidence import source
from ketaflow.portal.education import TOPICS
from ketaflow.portal.tests.conftest import path

pytestmark = pytest.mark.django_db

MUST_SAY = {
    "what-is-ketamine": ["anaesthetic", "NMDA", "not yet known"],
    "treatment-day": ["drive", "until the next day", "collect you", "without food"],
    "evidence": ["small", "social anxiety", "does not show"],
    "side-effects": ["Bladder", "Liver", "Misuse", "Blood pressure"],
    "off-label": ["off-label", "licensed", "informed consent"],
    "when-to-call": ["emergency number", "Call the clinic"],
}


def test_every_topic_cites_registered_sources() -> None:
    for t in TOPICS:
        assert t.sources
        for key in t.sources:
            assert source(key).key == key


@pytest.mark.parametrize("topic", [t.slug for t in TOPICS])
def test_each_page_opens_from_the_link_and_covers_its_subject(
    topic: str, issue: Any, patient: Any, portal_client: Client
) -> None:
    page = portal_client.get(path(issue(patient), "learn", topic))
    assert page.status_code == 200
    text = page.content.decode()
    for phrase in MUST_SAY[topic]:
        assert phrase in text, (topic, phrase)
    assert "[S" in text or "Sources:" in text


def test_the_index_lists_every_topic(issue: Any, patient: Any, portal_client: Client) -> None:
    text = portal_client.get(path(issue(patient), "learn")).content.decode()
    for t in TOPICS:
        assert t.title.replace("\u201c", "&ldquo;") in text or t.slug in text


def test_an_unknown_topic_is_not_found(issue: Any, patient: Any, portal_client: Client) -> None:
    assert portal_client.get(path(issue(patient), "learn", "nope")).status_code == 404


def test_help_now_needs_no_sign_in(issue: Any, patient: Any, portal_client: Client) -> None:
    text = portal_client.get(path(issue(patient), "help")).content.decode()
    assert "If you feel unsafe" in text
