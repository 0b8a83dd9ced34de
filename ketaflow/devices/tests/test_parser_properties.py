"""Property tests: the parser never crashes on what a network can deliver, and the mapping
round-trips any value in any unit it accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.devices import hl7_codec as hl7c
from ketaflow.devices import hl7_vitals as hv

ZONE = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

# (code field, vital, unit field, value -> value in canonical units)
CODES = [
    ("150021^MDC_PRESS_BLD_NONINV_SYS^MDC", "sbp", "266016^MDC_DIM_MMHG^MDC", lambda v: v),
    ("0002-4a05^NBPs^MDIL", "sbp", "0004-0f03^kPa^MDIL", lambda v: round(v * hv.KPA_TO_MMHG, 1)),
    ("8867-4^Heart rate^LN", "hr", "/min^per minute^UCUM", lambda v: v),
    ("0002-4182^HR^MDIL", "hr", "0004-0aa0^bpm^MDIL", lambda v: v),
    ("150456^MDC_PULS_OXIM_SAT_O2^MDC", "spo2", "262688^MDC_DIM_PERCENT^MDC", lambda v: v),
    ("9279-1^Respiratory rate^LN", "rr", "", lambda v: v),
    ("Temperature^Temperature^WAP", "temp", "^°F", lambda v: round((v - 32) * 5 / 9, 2)),
]


@given(st.binary(max_size=400))
def test_decode_never_fails(raw: bytes) -> None:
    text, codec = hl7c.decode(raw)
    assert isinstance(text, str) and codec


@given(st.text(max_size=300))
def test_parse_either_parses_or_rejects_with_a_reason(body: str) -> None:
    for text in (body, "MSH|^~\\&|A|B|||20260101||ORU^R01|1|P|2.5\r" + body):
        try:
            msg = hv.parse_message(text, zone=ZONE, received_at=NOW)
        except hl7c.HL7Reject as exc:
            assert exc.text and exc.ack in ("AR", "AE")
        else:
            hv.vital_sets(msg.observations)


@given(
    st.sampled_from(range(len(CODES))),
    st.floats(min_value=0, max_value=400, allow_nan=False).map(lambda v: round(v, 1)),
    st.sampled_from(["R", "F", ""]),
    st.sampled_from(["NM", "ST"]),
    st.sampled_from(["\r", "\n", "\r\n"]),
)
def test_a_value_round_trips_through_code_unit_and_status(
    which: int, value: float, status: str, value_type: str, newline: str
) -> None:
    code, vital, unit, expect = CODES[which]
    text = newline.join(
        [
            "MSH|^~\\&|DEV||||20261121085500+0000||ORU^R01|77|P|2.6",
            "PID|||KF-1^^^^MR",
            f"OBX|1|{value_type}|{code}|1.1.1.1|{value:g}|{unit}|||||{status}",
        ]
    )
    msg = hv.parse_message(text, zone=ZONE, received_at=NOW)
    assert len(msg.observations) == 1, msg.skipped
    obs = msg.observations[0]
    assert obs.vital.value == vital
    assert obs.value == expect(value)
    sets = hv.vital_sets(msg.observations)
    if vital in sets[0].values:
        assert sets[0].values[vital] == expect(value)
    else:
        assert sets[0].notes  # outside the physical range: left out, with a note


@given(st.sampled_from(["X", "D", "W"]), st.sampled_from(["72", "", "?"]))
def test_invalid_statuses_never_give_a_value(status: str, value: str) -> None:
    text = f"MSH|^~\\&|D||||||ORU^R01|1|P|2.6\rOBX|1|NM|8867-4^HR^LN||{value}|/min|||||{status}"
    assert hv.parse_message(text, zone=ZONE, received_at=NOW).observations == ()


@given(st.text(max_size=60))
def test_escaped_text_never_breaks_the_ack(text: str) -> None:
    out = hl7c.escape(text)
    assert not set("|^~&\r\n") & set(
        out.replace("\\F\\", "")
        .replace("\\S\\", "")
        .replace("\\R\\", "")
        .replace("\\T\\", "")
        .replace("\\E\\", "")
    )


@given(st.text(alphabet="ABCabc12&^ /-", max_size=30))
def test_location_keys_are_upper_case_and_start_with_the_whole_field(pv1_3: str) -> None:
    keys = hv.location_keys(pv1_3)
    if keys:
        assert keys[0] == pv1_3.strip().upper()
        assert all(k == k.upper() for k in keys)
