"""Evidence: the sources clinical rules rest on, and values that need local sign-off.

Every rule in the core returns the `Source`s behind it so any screen can answer "why?".
A number the reference marks UNVERIFIED is never a silent fact: it becomes a
`ClinicDefault` with `needs_local_signoff=True`, which a clinic may change in its protocol.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
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


class UnknownSource(KeyError):
    """A rule cited a key that is not in the register: a programming error."""


@cache
def _index() -> dict[str, Source]:
    from ketaflow.clinical.evidence_register import REGISTER
    from ketaflow.clinical.outcome_stats import METHOD_SOURCES
    from ketaflow.clinical.pk.sources import ALL

    index: dict[str, Source] = {}
    for src in (*REGISTER, *ALL, *METHOD_SOURCES):
        if src.key in index:
            raise ValueError(f"duplicate source key {src.key}")
        index[src.key] = src
    return index


def source(key: str) -> Source:
    """The registered source with this key (e.g. "S1", "A7", "PK-Kamp2020")."""
    try:
        return _index()[key]
    except KeyError:
        raise UnknownSource(key) from None


def cite(*keys: str) -> tuple[Source, ...]:
    """The sources for these keys, in order, for attaching to a decision."""
    return tuple(source(k) for k in keys)


def all_sources() -> tuple[Source, ...]:
    return tuple(_index().values())


def merge(groups: Iterable[tuple[Source, ...]]) -> tuple[Source, ...]:
    """Union of several source tuples, first occurrence order, no duplicates."""
    seen: dict[str, Source] = {}
    for group in groups:
        for src in group:
            seen.setdefault(src.key, src)
    return tuple(seen.values())


def default(
    value: T, *keys: str, evidence: Evidence = Evidence.VERIFIED, note: str = ""
) -> ClinicDefault[T]:
    """Shorthand for a `ClinicDefault` citing registered keys."""
    return ClinicDefault(value=value, sources=cite(*keys), evidence=evidence, note=note)


__all__ = [
    "ClinicDefault",
    "Evidence",
    "Source",
    "UnknownSource",
    "all_sources",
    "cite",
    "default",
    "merge",
    "source",
]
