"""The vocabulary of evidence: a `Source`, how firmly it supports a value, a `ClinicDefault`.

Its own module so that the registers (`evidence_register`, `pk.sources`, `outcome_stats`) can
build their sources from it while `evidence` looks keys up across all of them: the registers
import this module, `evidence` imports the registers, and nothing imports back.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """One published source: a label, guideline, trial or review."""

    key: str
    citation: str
    authors: str = ""
    title: str = ""
    year: int | None = None
    doi: str | None = None
    url: str | None = None

    @property
    def link(self) -> str | None:
        """Where a reader can find it: the DOI resolver if there is a DOI, else the URL."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.url

    def short(self) -> str:
        """A one-line label for screens: key, first author or title, year."""
        who = self.authors.split(",")[0].strip() if self.authors else self.title
        return f"[{self.key}] {who}" + (f" ({self.year})" if self.year else "")


class Evidence(enum.Enum):
    """How firmly the reference supports a value."""

    VERIFIED = "verified"  # read in the primary source (label, paper, abstract)
    SECONDARY = "secondary"  # from a third-party summary; numbers provisional
    UNVERIFIED = "unverified"  # not confirmed; a clinic must sign it off locally


@dataclass(frozen=True)
class ClinicDefault(Generic[T]):
    """A value a clinic may configure, with the evidence behind its default.

    `needs_local_signoff` is true for anything the reference could not verify: screens
    must show it as "needs local clinical sign-off" until a clinic confirms it.
    """

    value: T
    sources: tuple[Source, ...]
    evidence: Evidence
    note: str = ""

    @property
    def needs_local_signoff(self) -> bool:
        return self.evidence is Evidence.UNVERIFIED


__all__ = ["ClinicDefault", "Evidence", "Source"]
