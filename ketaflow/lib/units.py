"""Unit conversion for measurements entered in either metric or imperial units."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

KG_PER_LB = Decimal("0.45359237")
CM_PER_IN = Decimal("2.54")

WEIGHT_UNITS = {"kg": Decimal(1), "lb": KG_PER_LB}
HEIGHT_UNITS = {"cm": Decimal(1), "in": CM_PER_IN, "m": Decimal(100)}

# Plausible adult ranges; outside them the entry is almost certainly a typo or wrong unit.
WEIGHT_RANGE_KG = (Decimal("25"), Decimal("350"))
HEIGHT_RANGE_CM = (Decimal("100"), Decimal("250"))


def to_canonical(kind: str, value: Decimal, unit: str) -> Decimal:
    """Convert to kg (weight) or cm (height), rounded to 0.01; raises ValueError if unknown."""
    table = WEIGHT_UNITS if kind == "weight" else HEIGHT_UNITS
    if unit not in table:
        raise ValueError(f"unit must be one of {', '.join(table)} for {kind}")
    return (value * table[unit]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
