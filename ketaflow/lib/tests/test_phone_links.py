"""Phone numbers patients can tap: crisis text and the clinic's number become `tel:` links."""

from __future__ import annotations

from django.template import Context, Template

from ketaflow.lib.phone_links import tel, tel_links


def test_every_number_in_crisis_text_dials_and_the_rest_is_escaped() -> None:
    out = tel_links("Samaritans 116 123 (any time), or call or text 988 <b>now</b>.")
    assert '<a href="tel:116123">116 123</a>' in out
    assert '<a href="tel:988">988</a>' in out
    assert "&lt;b&gt;now&lt;/b&gt;" in out and "<b>" not in out


def test_international_numbers_keep_their_plus_and_short_figures_stay_text() -> None:
    out = tel_links("Call +44 20 7946 0000, open 24/7, 2 lines.")
    assert '<a href="tel:+442079460000">+44 20 7946 0000</a>' in out
    assert "24/7" in out and "tel:24" not in out and "tel:2" not in out


def test_a_clinic_number_is_one_link_and_words_stay_words() -> None:
    assert str(tel("01632 960000")) == '<a href="tel:01632960000">01632 960000</a>'
    assert str(tel("ask at reception")) == "ask at reception"
    assert str(tel("<script>")) == "&lt;script&gt;"


def test_the_filters_load_in_any_template() -> None:
    html = Template("{% load phone_links %}{{ n|tel }} {{ t|tel_links }}").render(
        Context({"n": "999", "t": "text 988"})
    )
    assert html == '<a href="tel:999">999</a> text <a href="tel:988">988</a>'
