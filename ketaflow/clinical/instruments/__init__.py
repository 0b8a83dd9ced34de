"""Rating instruments: item structure, scoring, severity bands, flags and licence status.

`get_instrument("gad7")` returns one of three kinds (see `base`):
`ItemInstrument.score(answers)`, `TotalInstrument.score_total(total)`,
`RiskLevelInstrument.score_risk(level)`; each returns a `Score`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments.base import (
    AnswerOption,
    AnyInstrument,
    Band,
    BandSet,
    Cutoff,
    Flag,
    FlagCode,
    FlagKind,
    Item,
    ItemInstrument,
    Licence,
    PointChange,
    Rater,
    RiskLevel,
    RiskLevelInstrument,
    Score,
    Subscale,
    TotalInstrument,
)
from ketaflow.clinical.instruments.cadss import CADSS, CADSS6
from ketaflow.clinical.instruments.gad7_phq9 import GAD7, PHQ9
from ketaflow.clinical.instruments.hama import HAMA
from ketaflow.clinical.instruments.licensed_scales import CSSRS, PDSS, YBOCS
from ketaflow.clinical.instruments.lsas import LSAS
from ketaflow.clinical.instruments.pcl5 import PCL5
from ketaflow.clinical.instruments.recovery_scores import (
    ALDRETE,
    MOAAS,
    PADSS,
    moaas_sedation_flags,
)

INSTRUMENTS: Mapping[str, AnyInstrument] = MappingProxyType(
    {
        i.code: i
        for i in (
            GAD7,
            PHQ9,
            PCL5,
            HAMA,
            LSAS,
            CADSS,
            CADSS6,
            MOAAS,
            ALDRETE,
            PADSS,
            YBOCS,
            PDSS,
            CSSRS,
        )
    }
)
INSTRUMENT_CODES: tuple[str, ...] = tuple(INSTRUMENTS)


def get_instrument(code: str) -> AnyInstrument:
    """The instrument with this code (case-insensitive), e.g. "gad7", "ybocs", "cssrs"."""
    try:
        return INSTRUMENTS[code.strip().lower()]
    except KeyError:
        raise ClinicalInputError(
            f"unknown instrument {code!r}; choose one of: {', '.join(INSTRUMENT_CODES)}",
            field="instrument",
        ) from None


def get_item_instrument(code: str) -> ItemInstrument:
    """An instrument scored from item answers; licensed total-only ones are refused."""
    instrument = get_instrument(code)
    if not isinstance(instrument, ItemInstrument):
        raise ClinicalInputError(
            f"{instrument.name} is licensed: Ketaflow holds no items for it; enter its total "
            "(or C-SSRS risk level) instead",
            field="instrument",
        )
    return instrument


__all__ = [
    "ALDRETE",
    "CADSS",
    "CADSS6",
    "CSSRS",
    "GAD7",
    "HAMA",
    "INSTRUMENTS",
    "INSTRUMENT_CODES",
    "LSAS",
    "MOAAS",
    "PADSS",
    "PCL5",
    "PDSS",
    "PHQ9",
    "YBOCS",
    "AnswerOption",
    "AnyInstrument",
    "Band",
    "BandSet",
    "Cutoff",
    "Flag",
    "FlagCode",
    "FlagKind",
    "Item",
    "ItemInstrument",
    "Licence",
    "PointChange",
    "Rater",
    "RiskLevel",
    "RiskLevelInstrument",
    "Score",
    "Subscale",
    "TotalInstrument",
    "get_instrument",
    "get_item_instrument",
    "moaas_sedation_flags",
]
