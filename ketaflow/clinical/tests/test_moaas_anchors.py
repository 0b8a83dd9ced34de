"""MOAA/S has a short anchor for each of its six levels, most alert (5) first."""

from __future__ import annotations

from ketaflow.clinical.instruments import MOAAS


def test_every_moaas_level_from_5_to_0_has_an_anchor() -> None:
    (item,) = MOAAS.items
    assert [o.value for o in item.options] == [5, 4, 3, 2, 1, 0]
    assert item.options[0].label == "responds readily to name in normal tone"
    assert item.options[-1].label == "no response after painful trapezius squeeze"
    assert all(o.label.strip() for o in item.options)


def test_the_anchors_do_not_change_the_score() -> None:
    assert MOAAS.score([3]).total == 3
    assert {f.code.value for f in MOAAS.score([0]).flags} == {"moaas_loss_of_consciousness"}
