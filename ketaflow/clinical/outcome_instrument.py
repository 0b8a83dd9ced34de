"""Which scale is a course's primary outcome, and why: one rule for every screen and table.

Why it lives in the core: the course page (`courses.followup.choose_instrument`, one course
read from the database) and the clinic summary table (`outcomes.services`, thousands of
courses grouped in memory) must pick the same scale, or the dashboard and the course page
tell a clinician two different stories about one patient. Both hand this module plain
values: the diagnosis code, the protocol, the clinic's mapping, and the set of instruments
the course has a usable baseline for (`baseline_instruments`).

The candidates, in order (only instruments with response criteria in the core qualify):

1. the clinic's explicit choice for the diagnosis (`settings.KETAFLOW_OUTCOME_INSTRUMENTS`);
2. the usual scales for the diagnosis (`DEFAULT_BY_DIAGNOSIS`), those that are also entry
   instruments of the protocol first (Glue programme: HAM-A for GAD, LSAS for SAD, S11);
3. the protocol's entry instrument, when it has exactly one;
4. GAD-7 (`FALLBACK_INSTRUMENT`).

The first candidate the course has a usable baseline for wins. Without that step a clinic
that records the usual patient-reported pair (GAD-7, PHQ-9) but no clinician HAM-A would
never see an outcome for a GAD course, although its GAD-7 trajectory is complete. When no
candidate has a baseline the first candidate is kept, so the page asks for *its* baseline.
An instrument asked for explicitly (`requested`) always wins.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import INSTRUMENTS, get_instrument
from ketaflow.clinical.protocols import Protocol

FALLBACK_INSTRUMENT = "gad7"

# The usual outcome scales per ICD-10 code, in order of preference: the disease-specific
# scale first, then GAD-7 and PHQ-9, which clinics record broadly whatever the diagnosis, so
# that a course measured only with those still gets an outcome. PTSD is followed on the
# PCL-5, whose response is judged in points (a 10-point fall, S40; needs local sign-off).
_BROAD = ("gad7", "phq9")
DEFAULT_BY_DIAGNOSIS: Mapping[str, tuple[str, ...]] = {
    "F41.1": ("hama", *_BROAD),
    "F40.10": ("lsas", *_BROAD),
    "F40.11": ("lsas", *_BROAD),
    "F40.01": ("pdss", *_BROAD),
    "F41.0": ("pdss", *_BROAD),
    "F43.10": ("pcl5", *_BROAD),
    "F43.11": ("pcl5", *_BROAD),
    "F43.12": ("pcl5", *_BROAD),
    "F42.2": ("ybocs",),
    "F42.8": ("ybocs",),
    "F42.9": ("ybocs",),
    "F32.9": ("phq9",),
    "F33.9": ("phq9",),
    "F33.2": ("phq9",),
}


@dataclass(frozen=True)
class InstrumentChoice:
    """The chosen outcome instrument and the reason shown beside it ("why this scale")."""

    code: str
    name: str
    reason: str


def has_criteria(code: str) -> bool:
    """Whether the core can judge response on this instrument (else it cannot be an outcome)."""
    found = INSTRUMENTS.get(code)
    return found is not None and found.response is not None


def instrument_name(code: str) -> str:
    found = INSTRUMENTS.get(code)
    return found.name if found is not None else code


def baseline_instruments(
    dated: Iterable[tuple[str, date]], first_session: date | None
) -> frozenset[str]:
    """Instruments with a usable baseline: a score on or before the first session's day.

    The same rule the outcome computation uses (a score on a session day is pre-dose); before
    any session every score qualifies. `dated` is (instrument, clinic-local day) of the
    course's scores, already limited to its window and score contexts.
    """
    return frozenset(code for code, day in dated if first_session is None or day <= first_session)


def candidates(
    diagnosis: str | None, protocol: Protocol, clinic_map: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(code, reason if chosen without regard to data), in order of preference, no repeats."""
    entry = [c for c, _ in protocol.entry_thresholds if has_criteria(c)]
    found: list[tuple[str, str]] = []
    if diagnosis:
        chosen = clinic_map.get(diagnosis)
        if chosen and has_criteria(chosen):
            found.append((chosen, f"the clinic's choice for {diagnosis}"))
        usual = [c for c in DEFAULT_BY_DIAGNOSIS.get(diagnosis, ()) if has_criteria(c)]
        found += [
            (c, f"the protocol's entry instrument for {diagnosis}") for c in usual if c in entry
        ]
        found += [(c, f"the usual outcome scale for {diagnosis}") for c in usual if c not in entry]
    if len(entry) == 1:
        found.append((entry[0], "the protocol's entry instrument"))
    why = "no diagnosis recorded" if not diagnosis else f"no outcome scale set for {diagnosis}"
    if entry:
        why += f"; protocol entry instruments: {', '.join(instrument_name(c) for c in entry)}"
    fallback = instrument_name(FALLBACK_INSTRUMENT)
    found.append((FALLBACK_INSTRUMENT, f"{why}: {fallback} by default"))
    unique: dict[str, str] = {}
    for code, reason in found:
        unique.setdefault(code, reason)  # the earlier, more specific reason stays
    return list(unique.items())


def choose_outcome_instrument(
    diagnosis: str | None,
    protocol: Protocol,
    *,
    measured: Collection[str],
    clinic_map: Mapping[str, str] | None = None,
    requested: str | None = None,
) -> InstrumentChoice:
    """The course's primary outcome instrument, and why (see the module docstring).

    `measured`: the instruments the course has a usable baseline for (`baseline_instruments`).
    Raises `ClinicalInputError` for a `requested` instrument that is unknown or has no
    response criteria.
    """
    if requested:
        code = get_instrument(requested).code  # ClinicalInputError if unknown
        if not has_criteria(code):
            raise ClinicalInputError(
                f"{instrument_name(code)} has no response criteria: choose another instrument",
                field="instrument",
            )
        return InstrumentChoice(code, instrument_name(code), "chosen for this view")
    ordered = candidates(diagnosis, protocol, clinic_map or {})
    for i, (code, reason) in enumerate(ordered):
        if code not in measured:
            continue
        if i > 0:
            skipped = ", ".join(instrument_name(c) for c, _ in ordered[:i])
            scope = f" for {diagnosis}" if diagnosis else ""
            reason = (
                f"{skipped} not recorded at baseline; "
                f"{instrument_name(code)} is the scale measured{scope}"
            )
        return InstrumentChoice(code, instrument_name(code), reason)
    code, reason = ordered[0]
    return InstrumentChoice(code, instrument_name(code), reason)


__all__ = [
    "DEFAULT_BY_DIAGNOSIS",
    "FALLBACK_INSTRUMENT",
    "InstrumentChoice",
    "baseline_instruments",
    "candidates",
    "choose_outcome_instrument",
    "has_criteria",
    "instrument_name",
]
