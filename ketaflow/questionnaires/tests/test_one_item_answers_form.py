"""Every page that asks an instrument's items (screening, the session chair, the patient portal)
builds them with one form from the core, so they offer the same answers and read them alike."""

from __future__ import annotations

import pytest
from django import forms

from ketaflow.clinical.instruments import INSTRUMENTS, ItemInstrument, get_item_instrument
from ketaflow.questionnaires.forms import InstrumentForm, ItemAnswersForm

ITEM_CODES = [c for c, i in INSTRUMENTS.items() if isinstance(i, ItemInstrument)]


def _values(form: forms.Form, key: str) -> list[str]:
    field = form.fields[key]
    assert isinstance(field, forms.ChoiceField)
    return [str(v) for v, _ in field.choices if v != ""]


@pytest.mark.parametrize("code", ITEM_CODES)
def test_staff_chair_and_portal_offer_every_whole_answer_of_each_item(code: str) -> None:
    instrument = get_item_instrument(code)
    staff = InstrumentForm(instrument)
    chair = ItemAnswersForm(instrument, radios=True, required=False, short_labels=True)
    portal = ItemAnswersForm(instrument, radios=True, required=False)
    for item in instrument.items:
        whole = sorted(str(v) for v in range(item.minimum, item.maximum + 1))
        assert sorted(_values(staff, item.key)) == whole
        assert _values(chair, item.key) == _values(staff, item.key) == _values(portal, item.key)


def test_recovery_scores_list_the_best_answer_first_as_the_core_does() -> None:
    aldrete = ItemAnswersForm(get_item_instrument("aldrete"), radios=True)
    assert _values(aldrete, aldrete.item_keys[0]) == ["2", "1", "0"]
    gad7 = ItemAnswersForm(get_item_instrument("gad7"))
    assert _values(gad7, "item_1") == ["0", "1", "2", "3"]


def test_free_instruments_show_the_full_wording_unless_short_labels_are_asked_for() -> None:
    gad7 = get_item_instrument("gad7")
    item = gad7.items[0]
    assert ItemAnswersForm(gad7).fields[item.key].label == f"1. {item.text}"
    assert ItemAnswersForm(gad7, short_labels=True).fields[item.key].label == f"1. {item.label}"


def test_a_value_that_is_not_an_answer_counts_as_unanswered_and_is_named() -> None:
    gad7 = get_item_instrument("gad7")
    posted = {i.key: "1" for i in gad7.items} | {"item_2": "7"}
    form = ItemAnswersForm(gad7, posted, radios=True, required=False)
    assert not form.is_valid()
    assert form.answers()["item_2"] is None
    missing = form.first_missing()
    assert missing is not None and missing.key == "item_2"


def test_required_items_follow_the_core_when_the_form_checks_them() -> None:
    gad7 = get_item_instrument("gad7")
    form = ItemAnswersForm(gad7, {"item_1": "0"})
    assert not form.is_valid()
    assert form.errors["item_2"] == ["This field is required."]
    assert "difficulty" not in form.errors  # optional in the core, "Recorded, not scored."
    assert form.fields["difficulty"].help_text == "Recorded, not scored."
