"""Real-world-shaped ORU^R01 messages, one builder per source in the reference (§1-2).

Our own messages, built to mirror each vendor's structure and codes (the reference's samples
are kept out on purpose). Patient ids, beds and times are made up; times default to a few
minutes ago so a nurse could confirm the readings into today's session.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

MLLP_START, MLLP_END = b"\x0b", b"\x1c\r"


def ts(when: datetime | None = None, *, offset: bool = True, zone: str = "Europe/London") -> str:
    """An HL7 timestamp: UTC with `+0000`, or (offset=False) device-local time in `zone`."""
    when = when or timezone.now() - timedelta(minutes=1)
    if offset:
        return when.astimezone(UTC).strftime("%Y%m%d%H%M%S") + "+0000"
    return when.astimezone(ZoneInfo(zone)).strftime("%Y%m%d%H%M%S")


def frame(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return MLLP_START + data + MLLP_END


def _join(*segments: str) -> str:
    return "\r".join(segments) + "\r"


def ge_b40(
    ctrl: str,
    mrn: str = "KF-000001",
    bed: str = "SURGERY^^V2",
    *,
    hr: float = 72,
    sbp: float = 128,
    dbp: float = 82,
    spo2: float = 97,
    rr_airway: float = 16,
    rr_ecg: float = 30,
    at: datetime | None = None,
) -> str:
    """GE B40/B105/B125: PCD-01, MDC codes, header rows with X, RR sent twice (OBX-4 apart)."""
    t = ts(at)
    return _join(
        f"MSH|^~\\&|VSP^080019FFFE134535^EUI-64|GE Healthcare|||{t}||ORU^R01^ORU_R01|{ctrl}|P|2.6"
        "|||NE|AL||UNICODE UTF-8|||PCD_DEC_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        f"PID|||{mrn}^^^PID^MR||DOE^JANE^^^^^L",
        f"PV1||R|{bed}",
        f"OBR|1|080019FFFE134535{t[:14]}^VSP^080019FFFE134535^EUI-64|080019FFFE134535{t[:14]}"
        f"^VSP^080019FFFE134535^EUI-64|182777000^monitoring of patient^SCT|||{t}",
        "OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X",
        "OBX|2||69798^MDC_DEV_ECG_VMD^MDC|1.5.0.0|||||||X",
        f"OBX|3|NM|147842^MDC_ECG_HEART_RATE^MDC|1.5.1.1|{hr:g}|264864^MDC_DIM_BEAT_PER_MIN^MDC"
        "|||||R|||||||080019FFFE0B4020^B40_GE",
        "OBX|4||69854^MDC_DEV_METER_PRESS_BLD_VMD^MDC|1.13.0.0|||||||X",
        f"OBX|5|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.13.1.1|{sbp:g}|266016^MDC_DIM_MMHG^MDC|||||R",
        f"OBX|6|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.13.1.2|{dbp:g}|266016^MDC_DIM_MMHG^MDC|||||R",
        f"OBX|8|NM|151562^MDC_RESP_RATE^MDC|1.20.1.1|{rr_airway:g}|264928^MDC_DIM_RESP_PER_MIN^MDC"
        "|||||R",
        f"OBX|11|NM|151562^MDC_RESP_RATE^MDC|1.6.1.1|{rr_ecg:g}|264928^MDC_DIM_RESP_PER_MIN^MDC"
        "|||||R",
        f"OBX|12|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.3.1.1|{spo2:g}|262688^MDC_DIM_PERCENT^MDC"
        "|||||R",
        "OBX|13|NM|150344^MDC_TEMP^MDC|1.26.1.1|36.8|268192^MDC_DIM_DEGC^MDC|||||R",
        "OBX|14|NM|150344^MDC_TEMP^MDC|1.26.1.2|36.5|268192^MDC_DIM_DEGC^MDC|||||R",
    )


def mindray_egateway(
    ctrl: str,
    mrn: str = "KF-000001",
    bed: str = "ICU^^5^XYZ HOSPITAL^^^^^00-0F-14-50-72-99",
    *,
    spo2: float = 96,
    pr: float = 81,
    rr: float = 15,
    at: datetime | None = None,
    demo: bool = False,
) -> str:
    """Mindray eGateway PCD-01: OBX-4 ends in the code, per-OBX OBX-14, private 99MNDRY rows."""
    t = ts(at)
    obs = ts(at).replace("+0000", ".0000+0000")
    flag = "DEMO" if demo else ""
    return _join(
        f"MSH|^~\\&|MINDRAY_EGATEWAY^00A03700273EDE18^EUI-64|MINDRAY|||{t}||ORU^R01^ORU_R01|{ctrl}"
        "|P|2.6|||AL|NE||UNICODE UTF-8|||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
        f"PID|||{mrn}^^^Hospital^PI||^^^^^^L|||||unknownrace",
        f"PV1||I|{bed}",
        f"OBR|1|{ctrl}^MINDRAY_EGATEWAY^00A03700273EDE18^EUI-64||182777000^monitoring of patient"
        f"^SCT|||{t}",
        "OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X|||||||"
        "000F14049B507238^BIG_DIPPER^000F14049B507238^EUI-64",
        f"OBX|2|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.3.1.150456|{spo2:g}|262688^MDC_DIM_PERCENT^MDC"
        f"||{flag}|||R|||{obs}",
        f"OBX|3|NM|149530^MDC_PULS_OXIM_PULS_RATE^MDC|1.3.1.149530|{pr:g}"
        f"|264864^MDC_DIM_BEAT_PER_MIN^MDC||{flag}|||R|||{obs}",
        f"OBX|4|NM|150488^MDC_BLD_PERF_INDEX^MDC|1.3.1.150488|3.56|262688^MDC_DIM_PERCENT^MDC"
        f"|||||R|||{obs}",
        f"OBX|5|NM|151578^MDC_TTHOR_RESP_RATE^MDC|1.7.1.151578|{rr:g}|264928^MDC_DIM_RESP_PER_MIN"
        f"^MDC||{flag}|||R|||{obs}",
        f"OBX|6|NM|352^MNDRY_ECG_VPB_RATE^99MNDRY|1.7.1.352|0|264864^MDC_DIM_BEAT_PER_MIN^MDC"
        f"|||||R|||{obs}",
        f"OBX|7|CWE|60036^MNDRY_SCORE_LOC_AVPU_VOICE^99MNDRY|1.9.1.60036|V^Voice^99MNDRY|||||R|||{obs}",
    )


def philips_piic(
    ctrl: str,
    mrn: str = "KF-000001",
    bed: str = "ICU/PCU^^Bed3&0&0",
    *,
    hr: float = 74,
    spo2: float = 98,
    sbp: float = 124,
    dbp: float = 79,
    mean: float = 94,
    at: datetime | None = None,
    unit_bp: str = "0004-0f20^mmHg^MDIL",
) -> str:
    """Philips PIIC parameter export: empty MSH-3..6, MDIL hex codes, 8859/1, OBX-4 0, F."""
    t = ts(at, offset=False)
    pid = '""^^^^MR' if mrn == '""' else f"{mrn}^^^^MR"
    return _join(
        f"MSH|^~\\&|||||{t}||ORU^R01|HP{ctrl}|P|2.3||||||8859/1",
        f"PID|||{pid}||DOE^JANE",
        f"PV1||I|{bed}",
        f"OBR||||Monitoring|||{t}",
        f"OBX||NM|0002-4182^HR^MDIL|0|{hr:g}|0004-0aa0^bpm^MDIL|||||F",
        f"OBX||NM|0002-4bb8^SpO2^MDIL|0|{spo2:g}|0004-0220^%^MDIL|||||F",
        f"OBX||NM|0002-4a05^NBPs^MDIL|0|{sbp:g}|{unit_bp}|||||F",
        f"OBX||NM|0002-4a06^NBPd^MDIL|0|{dbp:g}|{unit_bp}|||||F",
        f"OBX||NM|0002-4a07^NBPm^MDIL|0|{mean:g}|{unit_bp}|||||F",
        "OBX||TX|5^HardInop^MDIL-ALERT|0|ECG LEADS OFF||||||F",
    )


def efficia(ctrl: str, mrn: str = "MRN1234", *, at: datetime | None = None) -> str:
    """Philips Efficia CM: `^EfficiaCM`, no MSH-18, invalid SpO2 as `?`/X, temperature in °F."""
    t = ts(at, offset=False)
    return _join(
        f"MSH|^~\\&|^EfficiaCM||||{t}||ORU^R01|SN0042{ctrl}|P|2.4|||||||||2.16.840.1.113883.9.2.1",
        f"PID|||{mrn}",
        "PV1||I|^^LOCATION34|||||||||||||||V12345",
        "ORC|RE",
        f"OBR|1||||||{t}",
        "OBX|1|NM|0002-4182^HR^MDIL||77|0004-0aa0^bpm^MDIL|||||F",
        "OBX|2|NM|0002-4bb8^SpO2^MDIL||?|0004-0220^%^MDIL|||||X",
        "OBX|3|NM|0002-4bb8^SpO2^MDIL|||0004-0220^%^MDIL|||||F",
        "OBX|4|NM|0002-4b60^Tcore^MDIL||98.6|0004-1140^F^MDIL|||||F",
        f"OBX|5|NM|0002-4a05^NBPs^MDIL||131|0004-0f20^mmHg^MDIL|||||F|||{t}",
        f"OBX|6|NM|0002-4a06^NBPd^MDIL||84|0004-0f20^mmHg^MDIL|||||F|||{t}",
    )


def welch_allyn(ctrl: str, mrn: str = "KF-000001", *, at: datetime | None = None) -> str:
    """Welch Allyn Connectivity Server: WAP text codes, values as ST, `^BPM`, `^°F`, no PV1."""
    t = (at or timezone.now() - timedelta(minutes=2)).astimezone(UTC)
    stamp = t.strftime("%Y%m%d%H%M%S") + ".000+0000"
    return _join(
        f"MSH|^~\\&|WAP^WAP||||{stamp}||ORU^R01|{ctrl}|P|2.3.1",
        f"PID||{mrn}|{mrn}||DOE^JANE",
        f"OBR|1|||VITALS|||{stamp}",
        f"OBX|1|ST|NIBP^NIBP^WAP|SYS|142|^mmHg||||||||{stamp}",
        f"OBX|2|ST|NIBP^NIBP^WAP|DIA|91|^mmHg||||||||{stamp}",
        f"OBX|3|ST|NIBP^NIBP^WAP|MEAN|108|^mmHg||||||||{stamp}",
        f"OBX|4|ST|Pulse Rate^Pulse Rate^WAP|1|88|^BPM||||||||{stamp}",
        f"OBX|5|ST|SPO2^SPO2^WAP|1|95|^%||||||||{stamp}",
        f"OBX|6|ST|Temperature^Temperature^WAP|1|98.4|^°F||||||||{stamp}",
    )


def loinc_generic(
    ctrl: str,
    mrn: str = "KF-000001",
    bed: str = "V2",
    *,
    sbp: float = 120,
    dbp: float = 80,
    hr: float = 70,
    spo2: float = 98,
    rr: float = 14,
    at: datetime | None = None,
    sending: str = "GATEWAY",
) -> str:
    """A gateway that translates to LOINC (8480-6, 8462-4, 8867-4, 59408-5, 9279-1, 8478-0)."""
    t = ts(at)
    return _join(
        f"MSH|^~\\&|{sending}|KETAFLOW-LAB|||{t}||ORU^R01^ORU_R01|{ctrl}|P|2.5.1",
        f"PID|||{mrn}^^^KF^MR",
        f"PV1||O|{bed}",
        f"OBR|1|||85353-1^Vital signs panel^LN|||{t}",
        f"OBX|1|NM|8480-6^Systolic blood pressure^LN||{sbp:g}|mm[Hg]^mmHg^UCUM|||||F|||{t}",
        f"OBX|2|NM|8462-4^Diastolic blood pressure^LN||{dbp:g}|mm[Hg]^mmHg^UCUM|||||F|||{t}",
        f"OBX|3|NM|8478-0^Mean blood pressure^LN||{(sbp + 2 * dbp) / 3:.0f}|mm[Hg]^mmHg^UCUM|||||F"
        f"|||{t}",
        f"OBX|4|NM|8867-4^Heart rate^LN||{hr:g}|/min^per minute^UCUM|||||F|||{t}",
        f"OBX|5|NM|59408-5^SpO2^LN||{spo2:g}|%^percent^UCUM|||||F|||{t}",
        f"OBX|6|NM|9279-1^Respiratory rate^LN||{rr:g}|/min^per minute^UCUM|||||F|||{t}",
        "ZVN|1|firmware 4.2",
    )
