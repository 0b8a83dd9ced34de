"""Evidence: the sources clinical rules rest on, and values that need local sign-off.

Every rule in the core returns the `Source`s behind it so any screen can answer "why?".
A number the reference marks UNVERIFIED is never a silent fact: it becomes a
`ClinicDefault` with `needs_local_signoff=True`, which a clinic may change in its protocol.

`Source`, `Evidence` and `ClinicDefault` are defined in `evidence_types` (the registers build
on them) and re-exported here for the rules. The registers are read on the first look-up, not
at import: `pk.sources` sits in a package that loads numpy and SciPy.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TypeVar

from ketaflow.clinical.evidence_types import ClinicDefault, Evidence, Source

T = TypeVar("T")


class UnknownSource(KeyError):
    """A rule cited a key that is not in the register: a programming error."""


@cache
def _index() -> dict[str, Source]:
    from ketaflow.clinical.evidence_register import REGISTER
    from ketaflow.clinical.instruments.sources import SCALE_SOURCES
    from ketaflow.clinical.outcome_stats import METHOD_SOURCES
    from ketaflow.clinical.pk.sources import ALL

    index: dict[str, Source] = {}
    for src in (*REGISTER, *ALL, *METHOD_SOURCES, *SCALE_SOURCES):
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
