"""HL7 v2 ORU^R01 from bedside monitors → vital signs: which OBX code means which vital, in
which unit, and which value to chart. Pure: no Django, no I/O, no clock. HL7 v2 itself
(bytes, segments, the MSH, data types, ACKs) is `hl7_codec`.

Why a separate pure module: the listener, the holding-queue "assign" action, the tests and
the benchmark all turn the same raw text into the same observations, and the quirks of real
feeds (docs/hl7.md, /work/shared/reference/hl7-monitors.md §4) are easiest to prove here with
property tests. Time is a parameter (`received_at`), the clinic's zone is a parameter (for
timestamps sent without an offset, which devices send in their local time).

Pipeline: `hl7_codec.decode` (bytes → text per MSH-18, UTF-8 then latin-1 fallback) →
`parse_message` (`hl7_codec.split_message` checks the MSH and splits the segments; every OBX
becomes an `Observation` or a `Skipped` with a reason)
→ `vital_sets` (group by observation time, pick one value per vital by mapping priority,
refuse physically impossible values) → the Django side stores them.

Codes: LOINC (8480-6 SBP, 8462-4 DBP, 8478-0 mean, 8867-4 HR, 59408-5 SpO2, 9279-1 RR,
8310-5 temperature), IEEE 11073 MDC numbers and reference ids, Philips MDIL hex
(`PPPP-TTTT` = partition × 65536 + term, so `0002-4182` → 147842), and vendor text codes
(Welch Allyn `WAP`). Source of the numbers: the code table in the reference (§3), which was
cross-checked against DK Core, mdpnp's RTMMS-derived tables and vendor manuals; a clinic
extends or overrides them per clinic (`CodeMapping`), keyed the same way (`code_keys`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from ketaflow.clinical.monitoring.vitals import PHYSICAL_RANGES
from ketaflow.devices import hl7_codec as hl7c


class Vital(enum.Enum):
    """What an observation measures, in the units the flowsheet uses."""

    SBP = "sbp"
    DBP = "dbp"
    MAP = "map"
    HR = "hr"
    SPO2 = "spo2"
    RR = "rr"
    TEMP = "temp"
    IGNORE = "ignore"  # a known code the clinic does not chart (PVC rate, PI, ST …)

    @property
    def unit(self) -> str:
        return _CANONICAL_UNIT[self]


_CANONICAL_UNIT = {
    Vital.SBP: "mmHg",
    Vital.DBP: "mmHg",
    Vital.MAP: "mmHg",
    Vital.HR: "/min",
    Vital.SPO2: "%",
    Vital.RR: "/min",
    Vital.TEMP: "Cel",
    Vital.IGNORE: "",
}

#: Units for which a missing OBX-6 is safe to assume: there is only one unit in use.
#: Blood pressure (mmHg or kPa) and temperature (°C or °F) are never assumed (reference §4.20).
_ASSUMABLE = {Vital.HR, Vital.SPO2, Vital.RR}


@dataclass(frozen=True)
class CodeMap:
    """Where a code goes. Lower `priority` wins when two rows give the same vital at once."""

    vital: Vital
    priority: int = 5
    label: str = ""
    unit: str = ""  # default unit when the device sends none (clinic mappings only)


def _m(vital: Vital, priority: int, label: str) -> CodeMap:
    return CodeMap(vital, priority, label)


# MDC full codes (partition × 65536 + term) from the reference's §3 table.
_MDC: dict[int, CodeMap] = {
    150021: _m(Vital.SBP, 0, "NIBP systolic"),
    150022: _m(Vital.DBP, 0, "NIBP diastolic"),
    150023: _m(Vital.MAP, 0, "NIBP mean"),
    150033: _m(Vital.SBP, 2, "ART systolic"),
    150034: _m(Vital.DBP, 2, "ART diastolic"),
    150035: _m(Vital.MAP, 2, "ART mean"),
    150037: _m(Vital.SBP, 2, "ABP systolic"),
    150038: _m(Vital.DBP, 2, "ABP diastolic"),
    150039: _m(Vital.MAP, 2, "ABP mean"),
    # Heart rate: prefer ECG over pulse (reference §6).
    147842: _m(Vital.HR, 0, "Heart rate (ECG)"),
    149530: _m(Vital.HR, 1, "Pulse rate (SpO2)"),
    149514: _m(Vital.HR, 2, "Pulse rate"),
    149546: _m(Vital.HR, 2, "Pulse rate (NIBP)"),
    149522: _m(Vital.HR, 3, "Pulse rate (invasive)"),
    150456: _m(Vital.SPO2, 0, "SpO2"),
    # Respiratory rate: capnography > impedance > generic > flow > pleth (reference §6).
    151594: _m(Vital.RR, 0, "Resp rate (CO2)"),
    151578: _m(Vital.RR, 1, "Resp rate (impedance)"),
    151562: _m(Vital.RR, 2, "Resp rate"),
    151570: _m(Vital.RR, 3, "Resp rate (airway flow)"),
    151658: _m(Vital.RR, 4, "Resp rate (pleth)"),
    150364: _m(Vital.TEMP, 0, "Body temperature"),
    150368: _m(Vital.TEMP, 1, "Core temperature"),
    150344: _m(Vital.TEMP, 2, "Temperature"),
    148066: _m(Vital.IGNORE, 9, "PVC rate"),
    150488: _m(Vital.IGNORE, 9, "Perfusion index"),
    151708: _m(Vital.IGNORE, 9, "etCO2"),
    151728: _m(Vital.IGNORE, 9, "etCO2"),
}

# Reference ids (OBX-3.2) → MDC number, used when OBX-3.1 is missing or not numeric.
_MDC_NAMES: dict[str, int] = {
    "MDC_PRESS_BLD_NONINV_SYS": 150021,
    "MDC_PRESS_BLD_NONINV_DIA": 150022,
    "MDC_PRESS_BLD_NONINV_MEAN": 150023,
    "MDC_PRESS_BLD_ART_SYS": 150033,
    "MDC_PRESS_BLD_ART_DIA": 150034,
    "MDC_PRESS_BLD_ART_MEAN": 150035,
    "MDC_PRESS_BLD_ART_ABP_SYS": 150037,
    "MDC_PRESS_BLD_ART_ABP_DIA": 150038,
    "MDC_PRESS_BLD_ART_ABP_MEAN": 150039,
    "MDC_ECG_HEART_RATE": 147842,
    "MDC_ECG_CARD_BEAT_RATE": 147842,
    "MDC_PULS_OXIM_PULS_RATE": 149530,
    "MDC_PULS_RATE": 149514,
    "MDC_PULS_RATE_NON_INV": 149546,
    "MDC_BLD_PULS_RATE_INV": 149522,
    "MDC_PULS_OXIM_SAT_O2": 150456,
    "MDC_CO2_RESP_RATE": 151594,
    "MDC_TTHOR_RESP_RATE": 151578,
    "MDC_RESP_RATE": 151562,
    "MDC_AWAY_RESP_RATE": 151570,
    "MDC_PULS_OXIM_PLETH_RESP_RATE": 151658,
    "MDC_TEMP_BODY": 150364,
    "MDC_TEMP_CORE": 150368,
    "MDC_TEMP": 150344,
}

_LOINC: dict[str, CodeMap] = {
    "8480-6": _m(Vital.SBP, 0, "Systolic blood pressure"),
    "8462-4": _m(Vital.DBP, 0, "Diastolic blood pressure"),
    "8478-0": _m(Vital.MAP, 0, "Mean blood pressure"),
    "8867-4": _m(Vital.HR, 0, "Heart rate"),
    "59408-5": _m(Vital.SPO2, 0, "SpO2 by pulse oximetry"),
    "2708-6": _m(Vital.SPO2, 1, "Oxygen saturation"),
    "9279-1": _m(Vital.RR, 0, "Respiratory rate"),
    "8310-5": _m(Vital.TEMP, 0, "Body temperature"),
}

# Vendor text codes (Welch Allyn Connectivity Server, OBX-3 `Heart Rate^Heart Rate^WAP`;
# NIBP as one code told apart by OBX-4 SYS/DIA/MEAN, reference §1).
_VENDOR: dict[str, CodeMap] = {
    "WAP:HEART RATE": _m(Vital.HR, 1, "Heart rate (WAP)"),
    "WAP:PULSE RATE": _m(Vital.HR, 2, "Pulse rate (WAP)"),
    "WAP:SPO2": _m(Vital.SPO2, 0, "SpO2 (WAP)"),
    "WAP:RESPIRATION RATE": _m(Vital.RR, 1, "Resp rate (WAP)"),
    "WAP:RESP RATE": _m(Vital.RR, 1, "Resp rate (WAP)"),
    "WAP:TEMPERATURE": _m(Vital.TEMP, 0, "Temperature (WAP)"),
    "WAP:NIBP/SYS": _m(Vital.SBP, 0, "NIBP systolic (WAP)"),
    "WAP:NIBP/DIA": _m(Vital.DBP, 0, "NIBP diastolic (WAP)"),
    "WAP:NIBP/MEAN": _m(Vital.MAP, 0, "NIBP mean (WAP)"),
}

BUILTIN_MAPPINGS: dict[str, CodeMap] = {
    **{f"MDC:{n}": v for n, v in _MDC.items()},
    **{f"LN:{c}": v for c, v in _LOINC.items()},
    **_VENDOR,
}

# Units: canonical token ← MDC number, Philips hex, UCUM and the text devices send.
_UNIT_ALIASES: dict[str, str] = {}
for _canon, _aliases in {
    "mmHg": ("266016", "0004-0F20", "MM[HG]", "MMHG", "MM HG", "MDC_DIM_MMHG"),
    "kPa": ("265987", "0004-0F03", "KPA", "MDC_DIM_KILO_PASCAL"),
    "/min": (
        "264864",
        "264928",
        "0004-0AA0",
        "0004-0AE0",
        "/MIN",
        "1/MIN",
        "BPM",
        "{BEATS}/MIN",
        "{BREATHS}/MIN",
        "BEATS/MIN",
        "BREATHS/MIN",
        "BR/M",
        "BR/MIN",
        "RPM",
        "MDC_DIM_BEAT_PER_MIN",
        "MDC_DIM_RESP_PER_MIN",
    ),
    "%": ("262688", "0004-0220", "%", "MDC_DIM_PERCENT"),
    "Cel": ("268192", "0004-17A0", "CEL", "°C", "DEGC", "C", "MDC_DIM_DEGC"),
    "degF": ("266560", "0004-1140", "[DEGF]", "°F", "DEGF", "F", "MDC_DIM_FAHR"),
    "1": ("262656", "MDC_DIM_DIMLESS"),
}.items():
    for _a in _aliases:
        _UNIT_ALIASES[_a] = _canon

KPA_TO_MMHG = 760.0 / 101.325  # 1 kPa = 7.50062 mmHg (standard atmosphere definition)

#: OBX-11 statuses whose value is not a valid measurement (X: "results cannot be obtained",
#: also device header rows; D: deleted; W: wrong; N: not asked). Reference §4.21.
INVALID_STATUSES = frozenset({"X", "D", "W", "N"})
#: Values that mean "no valid value": empty, "?" (Efficia), Mindray's -100 sentinel.
_NO_VALUE = frozenset({"", "?", '""', "-100", "-100.0", "-100.00", "---", "--"})
_MDIL = re.compile(r"^([0-9A-Fa-f]{4})-([0-9A-Fa-f]{4})$")


@dataclass(frozen=True)
class Observation:
    """One OBX row that carries a usable vital sign, in canonical units."""

    vital: Vital
    value: float
    unit: str
    code: str  # the key it matched (e.g. "MDC:150021")
    code_text: str  # OBX-3 as sent
    sub_id: str  # OBX-4 as sent (tells repeated codes apart)
    observed_at: datetime
    raw_value: str
    raw_unit: str
    priority: int
    note: str = ""


@dataclass(frozen=True)
class Skipped:
    """An OBX row not used, and why (kept for the record and for the nurse to see)."""

    index: int  # 1-based position among the message's OBX rows
    code_text: str
    sub_id: str
    reason: str


@dataclass(frozen=True)
class ParsedMessage:
    header: hl7c.Header
    patient_ids: tuple[str, ...]  # PID-3 repetitions' ID numbers, "" removed
    patient_unassigned: bool  # PID-3 is HL7 null `""` or absent
    location_raw: str  # PV1-3 as sent
    location_keys: tuple[str, ...]  # most specific first (see `location_keys`)
    device: str  # MSH-3 or the first OBX-18
    observations: tuple[Observation, ...]
    skipped: tuple[Skipped, ...]
    demo: bool  # any row flagged OBX-8 DEMO, or MSH-11 T/D (training/debug)
    relevant: bool  # an ORU^R01 with at least one OBX
    ignore_reason: str = ""


@dataclass(frozen=True)
class VitalSet:
    """The values for one observation time, one per vital, with where each came from."""

    observed_at: datetime
    values: dict[str, float]
    sources: dict[str, dict[str, str]]
    notes: tuple[str, ...] = field(default=())


def mdil_to_mdc(code: str) -> int | None:
    """Philips MDIL `PPPP-TTTT` hex → MDC full code (partition × 65536 + term)."""
    m = _MDIL.match(code.strip())
    if not m:
        return None
    return int(m.group(1), 16) * 65536 + int(m.group(2), 16)


def code_keys(identifier: str, text: str, system: str, sub_id: str) -> tuple[str, ...]:
    """Lookup keys for an OBX-3 (id^text^system) and OBX-4, most specific first.

    Numbers are keyed as numbers (MDC) before names, so a name/number mismatch
    (`149522^MDC_PULS_RATE`, reference §4.16) follows the number. A numeric id under a
    private system (`352^…^99MNDRY`) is only looked up under that system, never as MDC.
    """
    ident, name, sys_ = identifier.strip().upper(), text.strip().upper(), system.strip().upper()
    sub = sub_id.strip().upper()
    keys: list[str] = []
    if sys_ and ident:
        if sub and not sub.replace(".", "").isdigit():
            keys.append(f"{sys_}:{ident}/{sub}")
        keys.append(f"{sys_}:{ident}")
    if ident and not sys_ and name and sub and not sub.replace(".", "").isdigit():
        keys.append(f":{ident}/{sub}")
    if ident:
        keys.append(f":{ident}")
    private = sys_ not in ("", "MDC", "MDIL", "LN", "LOINC")
    if sys_ in ("LN", "LOINC") and ident:
        keys.append(f"LN:{ident}")
    elif not private:
        number = mdil_to_mdc(ident)
        if number is None and ident.isdigit():
            number = int(ident)
        if number is not None:
            keys.append(f"MDC:{number}")
        if name in _MDC_NAMES:
            keys.append(f"MDC:{_MDC_NAMES[name]}")
        if ident in _MDC_NAMES:
            keys.append(f"MDC:{_MDC_NAMES[ident]}")
    return tuple(dict.fromkeys(keys))


def unit_of(unit_field: str) -> str | None:
    """The canonical unit token for OBX-6 (any of its components may carry it), or None."""
    parts = [p.strip().upper() for p in unit_field.split("^") if p.strip()]
    for part in parts:
        if part in _UNIT_ALIASES:
            return _UNIT_ALIASES[part]
    return None


def convert(vital: Vital, value: float, unit: str) -> tuple[float, str] | None:
    """(value in the vital's unit, note) or None when the unit cannot be this vital's."""
    want = vital.unit
    if unit == want:
        return value, ""
    if want == "mmHg" and unit == "kPa":
        return round(value * KPA_TO_MMHG, 1), f"converted from {value:g} kPa"
    if want == "Cel" and unit == "degF":
        return round((value - 32.0) * 5.0 / 9.0, 2), f"converted from {value:g} °F"
    return None


def location_keys(pv1_3: str, comp: str = "^", sub: str = "&") -> tuple[str, ...]:
    """Ways a bed can be named in PV1-3, most specific first (reference §4.11).

    `SURGERY^^V2` → ("SURGERY^^V2", "SURGERY/V2", "V2"); `ICU/PCU^^iDemo1&0&0` →
    (…, "ICU/PCU/iDemo1", "iDemo1"); `^^LOCATION34` → (…, "LOCATION34"); `^^&10` → (…, "10").
    Matching is case-insensitive; a clinic binds a chair to whichever form its monitors send.
    """
    raw = pv1_3.strip()
    if not raw or raw == '""':
        return ()
    parts = raw.split(comp)
    unit = parts[0].split(sub)[0].strip() if parts else ""
    bed_subs = parts[2].split(sub) if len(parts) > 2 else []
    bed = next((s.strip() for s in bed_subs if s.strip()), "")
    keys = [raw]
    if unit and bed:
        keys.append(f"{unit}/{bed}")
    if bed:
        keys.append(bed)
    elif unit and len(parts) == 1:
        keys.append(unit)
    return tuple(dict.fromkeys(k.upper() for k in keys))


# ---------------------------------------------------------------------------- message


def parse_message(
    text: str,
    *,
    zone: tzinfo,
    received_at: datetime,
    mappings: Mapping[str, CodeMap] | None = None,
) -> ParsedMessage:
    """Every OBX of an ORU^R01 as an `Observation` or a `Skipped` (with the reason).

    Raises `hl7_codec.HL7Reject` when the message has no usable MSH, lacks MSH-9/MSH-10 (the
    sender must fix it) or was cut short (`hl7_codec.split_message`); anything else (unknown
    codes, invalid values, alarms, demo rows) is skipped row by row so one odd row never loses
    the message.
    """
    header, segments, delims = hl7c.split_message(text, zone=zone)
    sep, comp, rep, sub = delims.field, delims.component, delims.repetition, delims.subcomponent
    lookup = {**BUILTIN_MAPPINGS, **(mappings or {})}
    patient_ids: list[str] = []
    pid_seen = False
    location_raw = ""
    device = hl7c.comp_of(header.sending_app, 2, comp) or hl7c.comp_of(header.sending_app, 1, comp)
    obr_time: datetime | None = None
    observations: list[Observation] = []
    skipped: list[Skipped] = []
    demo = header.processing_id in ("T", "D")
    obx_index = 0
    alarm_group = False
    for seg_text in segments[1:]:
        name = seg_text[:3]
        f = hl7c.Fields(seg_text, sep, False)
        if name == "PID" and not pid_seen:
            pid_seen = True
            for repetition in f(3).split(rep):
                ident = hl7c.comp_of(repetition, 1, comp)
                if ident and ident != '""':
                    patient_ids.append(ident)
        elif name == "PV1" and not location_raw:
            location_raw = f(3).strip()
        elif name == "OBR":
            obr_time = hl7c.parse_ts(f(7), zone)
            alarm_group = "ALARM" in f(4).upper() or "MDC_EVT_ALARM" in f(4).upper()
        elif name == "OBX":
            obx_index += 1
            row, why = _observation(
                f,
                obx_index,
                comp=comp,
                zone=zone,
                lookup=lookup,
                fallback_time=obr_time or header.message_time or received_at,
                alarm_group=alarm_group,
            )
            if row is not None:
                observations.append(row)
            elif why is not None:
                if why.reason.startswith("demo"):
                    demo = True
                skipped.append(why)
            if not device and f(18).strip():
                device = hl7c.comp_of(f(18), 1, comp)

    relevant = header.message_type.upper() == f"ORU{comp}R01".upper() and obx_index > 0
    ignore_reason = ""
    if header.message_type.upper() != f"ORU{comp}R01".upper():
        ignore_reason = f"{header.message_type or 'unknown'} messages carry no vital signs."
    elif obx_index == 0:
        ignore_reason = "No OBX rows (a keep-alive or an empty result)."
    return ParsedMessage(
        header=header,
        patient_ids=tuple(patient_ids),
        patient_unassigned=not patient_ids,
        location_raw=location_raw,
        location_keys=location_keys(location_raw, comp, sub),
        device=device,
        observations=tuple(observations),
        skipped=tuple(skipped),
        demo=demo,
        relevant=relevant,
        ignore_reason=ignore_reason,
    )


def _observation(
    f: hl7c.Fields,
    index: int,
    *,
    comp: str,
    zone: tzinfo,
    lookup: Mapping[str, CodeMap],
    fallback_time: datetime,
    alarm_group: bool,
) -> tuple[Observation | None, Skipped | None]:
    value_type = f(2).strip().upper()
    code_field, sub_id, raw_value = f(3), f(4).strip(), f(5).strip()
    status = f(11).strip().upper()
    code_text = code_field.strip()

    def skip(reason: str) -> tuple[None, Skipped]:
        return None, Skipped(index, code_text, sub_id, reason)

    if status in INVALID_STATUSES and not raw_value:
        return None, None  # device/header row (`OBX|1||69965^…|1.0.0.0|||||||X`): not data
    if "DEMO" in f(8).upper().split("~"):
        return skip("demo mode: simulated value (OBX-8 DEMO)")
    system = hl7c.comp_of(code_field, 3, comp).upper()
    if alarm_group or system.startswith("MDIL-ALERT") or "ALARM" in system:
        return skip("alarm row (alarms are not vital signs)")
    if status in INVALID_STATUSES:
        return skip(f"marked invalid by the device (OBX-11 {status})")
    keys = code_keys(
        hl7c.comp_of(code_field, 1, comp),
        hl7c.comp_of(code_field, 2, comp),
        hl7c.comp_of(code_field, 3, comp),
        sub_id,
    )
    mapping = next((lookup[k] for k in keys if k in lookup), None)
    if mapping is None:
        return skip("unknown code (add a code mapping to use it)")
    if mapping.vital is Vital.IGNORE:
        return None, None
    if value_type not in ("NM", "ST", "SN", ""):
        return skip(f"value type {value_type} is not a number")
    if value_type == "SN":
        raw_value = raw_value.replace(comp, "")
    if raw_value.upper() in _NO_VALUE:
        return skip("no valid value (empty, '?' or a sentinel)")
    number = hl7c.parse_number(raw_value)
    if number is None:
        return skip(f"value {raw_value!r} is not a number")
    unit = unit_of(f(6))
    note = ""
    if unit is None:
        if f(6).strip():
            return skip(f"unknown unit {f(6).strip()!r}: not charted")
        if mapping.unit:
            unit, note = mapping.unit, "unit from the clinic's code mapping"
        elif mapping.vital in _ASSUMABLE:
            unit, note = mapping.vital.unit, "no unit sent; the only unit in use assumed"
        else:
            return skip(f"no unit sent: {mapping.vital.value} could be in more than one unit")
    converted = convert(mapping.vital, number, unit)
    if converted is None:
        return skip(f"unit {unit} cannot be a {mapping.vital.value} unit: refused")
    value, conv_note = converted
    when = hl7c.parse_ts(f(14), zone) or fallback_time
    return (
        Observation(
            vital=mapping.vital,
            value=value,
            unit=mapping.vital.unit,
            code=next(k for k in keys if k in lookup),
            code_text=code_text,
            sub_id=sub_id,
            observed_at=when,
            raw_value=raw_value,
            raw_unit=f(6).strip(),
            priority=mapping.priority,
            note="; ".join(n for n in (note, conv_note) if n),
        ),
        None,
    )


# ---------------------------------------------------------------------------- vital sets


def vital_sets(observations: Iterable[Observation]) -> list[VitalSet]:
    """One set per observation time (to the second), best source per vital, checked.

    NIBP is often minutes older than the continuous values (reference §4.24), so it forms
    its own set at its own time instead of being stamped with the others'. A value outside
    the physically possible range, or a diastolic at or above the systolic, is left out with
    a note: the device or its unit setting is wrong, and an alert on it would mislead.
    """
    groups: dict[datetime, list[Observation]] = {}
    for o in observations:
        groups.setdefault(o.observed_at.replace(microsecond=0), []).append(o)
    result = []
    for when in sorted(groups):
        best: dict[Vital, Observation] = {}
        for o in groups[when]:
            held = best.get(o.vital)
            if held is None or o.priority < held.priority:
                best[o.vital] = o
        others = {
            v: ", ".join(
                f"{o.value:g} ({o.code_text.split('^')[0]} {o.sub_id})".replace(" )", ")")
                for o in groups[when]
                if o.vital is v and o is not chosen
            )
            for v, chosen in best.items()
        }
        values: dict[str, float] = {}
        sources: dict[str, dict[str, str]] = {}
        notes: list[str] = []
        for vital, o in best.items():
            rng = PHYSICAL_RANGES.get(vital.value)
            if rng is not None and not rng.low <= o.value <= rng.high:
                notes.append(
                    f"{rng.label} {o.value:g} {o.unit} left out: outside {rng.describe()}."
                )
                continue
            if vital is Vital.TEMP and not 25.0 <= o.value <= 45.0:
                notes.append(f"temperature {o.value:g} °C left out: outside 25–45 °C.")
                continue
            values[vital.value] = o.value
            sources[vital.value] = {
                "code": o.code,
                "obx3": o.code_text,
                "obx4": o.sub_id,
                "value": o.raw_value,
                "unit": o.raw_unit,
                **({"note": o.note} if o.note else {}),
                **({"also_sent": others[vital]} if others[vital] else {}),
            }
        if "sbp" in values and "dbp" in values and values["dbp"] >= values["sbp"]:
            notes.append(
                f"blood pressure {values['sbp']:g}/{values['dbp']:g} left out: the diastolic "
                "is not below the systolic."
            )
            for k in ("sbp", "dbp", "map"):
                values.pop(k, None)
                sources.pop(k, None)
        if values or notes:
            result.append(VitalSet(when, values, sources, tuple(notes)))
    return result
