"""Routes of ketamine administration that Ketaflow supports."""

from __future__ import annotations

import enum


class Route(enum.Enum):
    IV = "iv"  # racemic ketamine infusion (off-label)
    SC = "sc"  # subcutaneous racemic ketamine (off-label)
    IM = "im"  # intramuscular racemic ketamine (off-label)
    ORAL = "oral"  # oral / sublingual racemic ketamine (off-label)
    INTRANASAL = "intranasal"  # esketamine nasal spray (SPRAVATO, on-label for TRD only)

    @property
    def is_esketamine(self) -> bool:
        return self is Route.INTRANASAL

    @property
    def label(self) -> str:
        return {
            Route.IV: "IV infusion",
            Route.SC: "subcutaneous",
            Route.IM: "intramuscular",
            Route.ORAL: "oral",
            Route.INTRANASAL: "esketamine nasal spray",
        }[self]


class Sex(enum.Enum):
    """Sex as used by weight formulas (Devine ideal body weight)."""

    FEMALE = "female"
    MALE = "male"
