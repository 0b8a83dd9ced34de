"""Scales at the chair (issue #13): MOAA/S with its six anchors; every item a row of radio
buttons whose words are their labels (one tap), built by the one item-answers form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from ketaflow.questionnaires.forms import ItemAnswersForm
from ketaflow.treatments.forms import SessionScaleForm

MOAAS_ANCHORS = (
    "5 – responds readily to name in normal tone",
    "4 – lethargic response to name in normal tone",
    "3 – responds only to name called loudly or repeatedly",
    "2 – responds only after mild prodding or shaking",
    "1 – responds only after painful trapezius squeeze",
    "0 – no response after painful trapezius squeeze",
)


def test_the_moaas_form_offers_six_anchored_answers_most_alert_first() -> None:
    form = SessionScaleForm("moaas")
    assert isinstance(form, ItemAnswersForm)
    choices = [label for _, label in form.fields["responsiveness"].choices]  # type: ignore[attr-defined]
    assert choices == list(MOAAS_ANCHORS)


def test_the_scale_items_render_as_radios_each_inside_its_label() -> None:
    html = render_to_string("treatments/_scale_items.html", {"form": SessionScaleForm("moaas")})
    labels = re.findall(
        r'<label class="scale-choice" for="(id_moaas-responsiveness_\d)">'
        r'<input type="radio" name="moaas-responsiveness" value="(\d)"[^>]*id="([^"]+)"[^>]*>'
        r"<span>([^<]+)</span></label>",
        html,
    )
    assert [(v, text) for _, v, _, text in labels] == [(a[0], a) for a in MOAAS_ANCHORS]
    assert all(for_ == id_ for for_, _, id_, _ in labels)  # the label is the radio's own
    assert '<fieldset class="scale-item" id="id_moaas-responsiveness">' in html
    assert "<legend>responsiveness</legend>" in html
    assert 'style="' not in html


@pytest.mark.django_db
def test_the_session_page_draws_every_chair_scale_with_tap_sized_choices(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    page = login(client, nurse).get(reverse("treatments:session", args=[ready.pk]))
    body = page.content.decode()
    for anchor in MOAAS_ANCHORS:
        assert f"<span>{anchor}</span>" in body
    for code in ("moaas", "cadss6", "cadss"):
        assert f'<label class="scale-choice" for="id_{code}-' in body
    assert 'style="' not in body.split('id="scales"')[1].split("</section>")[0]
