"""Protocol versions to and from plain JSON-safe dicts, so the apps can store them.

The dict holds every default with its evidence, note and source keys as well as the
local values, so a stored version restores exactly even after the built-in defaults
change. Sources are stored by key and restored from the register.
"""

from __future__ import annotations

import math
from typing import Any, Final

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, UnknownSource, cite
from ketaflow.clinical.protocols.model import DoseUnit, Phase, PhaseKind, Protocol, Setting
from ketaflow.clinical.routes import Route

SCHEMA: Final = 1
_TITRATION_KEYS: Final = (
    "titration_step_mg",
    "titration_min_days",
    "max_mg_per_dose",
    "max_mg_per_7_days",
)


def _keys(sources: tuple[Source, ...]) -> list[str]:
    return [s.key for s in sources]


def setting_to_dict(setting: Setting[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "default": setting.default.value,
        "evidence": setting.default.evidence.value,
        "sources": _keys(setting.default.sources),
        "note": setting.default.note,
        "unit": setting.unit,
        "minimum": setting.minimum,
        "maximum": setting.maximum,
        "exclusive_minimum": setting.exclusive_minimum,
        "step": setting.step,
        "typical": list(setting.typical) if setting.typical is not None else None,
    }
    if setting.local:
        out["local"] = setting.local[0]
    return out


def _phase_to_dict(phase: Phase) -> dict[str, Any]:
    return {
        "code": phase.code,
        "name": phase.name,
        "kind": phase.kind.value,
        "sessions": setting_to_dict(phase.sessions) if phase.sessions else None,
        "sessions_per_period": setting_to_dict(phase.sessions_per_period),
        "period_days": setting_to_dict(phase.period_days),
        "min_days_between_sessions": setting_to_dict(phase.min_days_between_sessions),
        "doses": [setting_to_dict(d) for d in phase.doses],
        "older_adult_doses": [setting_to_dict(d) for d in phase.older_adult_doses],
        "requires_response": phase.requires_response,
        "description": phase.description,
        "sources": _keys(phase.sources),
    }


def protocol_to_dict(protocol: Protocol) -> dict[str, Any]:
    """A JSON-safe dict of this protocol version (str/int/float/bool/None/list/dict only)."""

    def opt(setting: Setting[Any] | None) -> dict[str, Any] | None:
        return setting_to_dict(setting) if setting is not None else None

    return {
        "schema": SCHEMA,
        "code": protocol.code,
        "name": protocol.name,
        "version": protocol.version,
        "route": protocol.route.value,
        "dose_unit": protocol.dose_unit.value,
        "description": protocol.description,
        "sources": _keys(protocol.sources),
        "phases": [_phase_to_dict(p) for p in protocol.phases],
        "observation_minutes": setting_to_dict(protocol.observation_minutes),
        "fasting_solids_minutes": setting_to_dict(protocol.fasting_solids_minutes),
        "fasting_clear_liquids_minutes": setting_to_dict(protocol.fasting_clear_liquids_minutes),
        "min_failed_adequate_treatments": setting_to_dict(protocol.min_failed_adequate_treatments),
        "review_after_session": setting_to_dict(protocol.review_after_session),
        "non_response_below_pct": setting_to_dict(protocol.non_response_below_pct),
        "infusion_minutes": opt(protocol.infusion_minutes),
        "entry_thresholds": [[code, setting_to_dict(s)] for code, s in protocol.entry_thresholds],
        "older_adult_from_age": opt(protocol.older_adult_from_age),
        "max_pause_minutes": opt(protocol.max_pause_minutes),
        "experimental": protocol.experimental,
        "titration_step_mg": opt(protocol.titration_step_mg),
        "titration_min_days": opt(protocol.titration_min_days),
        "max_mg_per_dose": opt(protocol.max_mg_per_dose),
        "max_mg_per_7_days": opt(protocol.max_mg_per_7_days),
    }


# -- restoring --------------------------------------------------------------------------


class _Reader:
    """Typed access into an untrusted dict; every failure names the path at fault."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            raise ClinicalInputError("expected an object", field=path or "protocol")
        self.data: dict[str, Any] = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        if key not in self.data:
            raise ClinicalInputError("missing", field=self.at(key))
        return self.data[key]

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str):
            raise ClinicalInputError("expected text", field=self.at(key))
        return value

    def flag(self, key: str) -> bool:
        value = self.get(key)
        if not isinstance(value, bool):
            raise ClinicalInputError("expected true or false", field=self.at(key))
        return value

    def number(self, key: str, *, optional: bool = False) -> float | None:
        value = self.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ClinicalInputError("expected a number", field=self.at(key))
        if not math.isfinite(value):
            raise ClinicalInputError("expected a finite number", field=self.at(key))
        number: float = value
        return number

    def items(self, key: str) -> list[Any]:
        value = self.get(key)
        if not isinstance(value, list):
            raise ClinicalInputError("expected a list", field=self.at(key))
        return value

    def sources(self, key: str) -> tuple[Source, ...]:
        keys = self.items(key)
        if not all(isinstance(k, str) for k in keys):
            raise ClinicalInputError("expected source keys", field=self.at(key))
        try:
            return cite(*keys)
        except UnknownSource as err:
            raise ClinicalInputError(f"unknown source {err.args[0]}", field=self.at(key)) from None

    def enum(self, key: str, kind: type[Any]) -> Any:
        value = self.get(key)
        try:
            return kind(value)
        except ValueError:
            raise ClinicalInputError(f"unknown value {value!r}", field=self.at(key)) from None


def setting_from_dict(data: object, path: str = "setting") -> Setting[Any]:
    r = _Reader(data, path)
    value = r.get("default")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClinicalInputError("expected a number", field=f"{path}.default")
    typical_raw = r.get("typical")
    typical: tuple[float, float] | None = None
    if typical_raw is not None:
        if not (
            isinstance(typical_raw, list)
            and len(typical_raw) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in typical_raw)
        ):
            raise ClinicalInputError("expected [low, high]", field=f"{path}.typical")
        typical = (typical_raw[0], typical_raw[1])
    setting: Setting[Any] = Setting(
        ClinicDefault(
            value=value,
            sources=r.sources("sources"),
            evidence=r.enum("evidence", Evidence),
            note=r.text("note"),
        ),
        unit=r.text("unit"),
        minimum=r.number("minimum", optional=True),
        maximum=r.number("maximum", optional=True),
        exclusive_minimum=r.flag("exclusive_minimum"),
        step=r.number("step", optional=True),
        typical=typical,
    )
    if "local" in r.data:
        setting = setting.set_locally(r.data["local"], f"{path}.local")
    return setting


def _optional_setting(r: _Reader, key: str) -> Setting[Any] | None:
    raw = r.get(key)
    return None if raw is None else setting_from_dict(raw, r.at(key))


def _phase_from_dict(data: object, path: str) -> Phase:
    r = _Reader(data, path)
    return Phase(
        code=r.text("code"),
        name=r.text("name"),
        kind=r.enum("kind", PhaseKind),
        sessions=_optional_setting(r, "sessions"),
        sessions_per_period=setting_from_dict(
            r.get("sessions_per_period"), r.at("sessions_per_period")
        ),
        period_days=setting_from_dict(r.get("period_days"), r.at("period_days")),
        min_days_between_sessions=setting_from_dict(
            r.get("min_days_between_sessions"), r.at("min_days_between_sessions")
        ),
        doses=tuple(
            setting_from_dict(d, f"{path}.doses[{i}]") for i, d in enumerate(r.items("doses"))
        ),
        older_adult_doses=tuple(
            setting_from_dict(d, f"{path}.older_adult_doses[{i}]")
            for i, d in enumerate(r.items("older_adult_doses"))
        ),
        requires_response=r.flag("requires_response"),
        description=r.text("description"),
        sources=r.sources("sources"),
    )


def protocol_from_dict(data: object) -> Protocol:
    """Restore a protocol version stored with `protocol_to_dict`, exactly."""
    r = _Reader(data, "")
    if r.get("schema") != SCHEMA:
        raise ClinicalInputError(f"unsupported schema {r.get('schema')!r}", field="schema")
    version = r.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ClinicalInputError("expected a whole number", field="version")
    thresholds: list[tuple[str, Setting[Any]]] = []
    for i, pair in enumerate(r.items("entry_thresholds")):
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            raise ClinicalInputError(
                "expected [instrument, setting]", field=f"entry_thresholds[{i}]"
            )
        thresholds.append((pair[0], setting_from_dict(pair[1], f"entry_thresholds[{i}]")))

    def req(key: str) -> Setting[Any]:
        return setting_from_dict(r.get(key), key)

    return Protocol(
        code=r.text("code"),
        name=r.text("name"),
        version=version,
        route=r.enum("route", Route),
        dose_unit=r.enum("dose_unit", DoseUnit),
        description=r.text("description"),
        sources=r.sources("sources"),
        phases=tuple(_phase_from_dict(p, f"phases[{i}]") for i, p in enumerate(r.items("phases"))),
        observation_minutes=req("observation_minutes"),
        fasting_solids_minutes=req("fasting_solids_minutes"),
        fasting_clear_liquids_minutes=req("fasting_clear_liquids_minutes"),
        min_failed_adequate_treatments=req("min_failed_adequate_treatments"),
        review_after_session=req("review_after_session"),
        non_response_below_pct=req("non_response_below_pct"),
        infusion_minutes=_optional_setting(r, "infusion_minutes"),
        entry_thresholds=tuple(thresholds),
        older_adult_from_age=_optional_setting(r, "older_adult_from_age"),
        # Absent in versions saved before the setting existed: the core default applies.
        max_pause_minutes=_optional_setting(r, "max_pause_minutes")
        if "max_pause_minutes" in r.data
        else None,
        # Absent in versions saved before oral/sublingual titration: not experimental, no
        # titration (the shipped IV, SC and esketamine protocols have neither).
        experimental=r.flag("experimental") if "experimental" in r.data else False,
        **{key: _optional_setting(r, key) for key in _TITRATION_KEYS if key in r.data},
    )


__all__ = ["protocol_from_dict", "protocol_to_dict", "setting_from_dict", "setting_to_dict"]
