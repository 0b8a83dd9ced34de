"""Each vendor's message shape from the reference becomes the right vitals (pure, no DB)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ketaflow.devices import hl7_codec as hl7c
from ketaflow.devices import hl7_vitals as hv
from ketaflow.devices.tests import messages as M

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def parse(text: str, **kw: object) -> hv.ParsedMessage:
    return hv.parse_message(text, zone=LONDON, received_at=NOW, **kw)  # type: ignore[arg-type]


def values(text: str, **kw: object) -> dict[str, float]:
    sets = hv.vital_sets(parse(text, **kw).observations)
    assert len(sets) == 1, sets
    return sets[0].values


def test_ge_b40_header_rows_are_not_data_and_repeated_rr_is_told_apart_by_obx4() -> None:
    msg = parse(M.ge_b40("GE1", rr_airway=16, rr_ecg=30))
    assert msg.skipped == ()  # the X header rows are silently not data
    rr = [o for o in msg.observations if o.vital is hv.Vital.RR]
    assert [(o.sub_id, o.value) for o in rr] == [("1.20.1.1", 16.0), ("1.6.1.1", 30.0)]
    vs = hv.vital_sets(msg.observations)[0]
    assert vs.values == {"hr": 72, "sbp": 128, "dbp": 82, "rr": 16, "spo2": 97, "temp": 36.8}
    assert "30" in vs.sources["rr"]["also_sent"]
    assert msg.device == "080019FFFE134535"


def test_mindray_egateway_pulse_rate_is_heart_rate_and_private_codes_are_kept_as_skipped() -> None:
    msg = parse(M.mindray_egateway("MR1"))
    assert hv.vital_sets(msg.observations)[0].values == {"spo2": 96, "hr": 81, "rr": 15}
    reasons = {s.code_text.split("^")[0]: s.reason for s in msg.skipped}
    assert reasons["352"].startswith("unknown code")
    assert "60036" in reasons


def test_mindray_demo_mode_rows_are_refused() -> None:
    msg = parse(M.mindray_egateway("MR2", demo=True))
    assert msg.demo
    assert not [o for o in msg.observations if o.vital in (hv.Vital.SPO2, hv.Vital.HR)]
    assert any("demo" in s.reason for s in msg.skipped)


def test_philips_piic_mdil_hex_codes_and_alarm_rows() -> None:
    msg = parse(M.philips_piic("1"))
    assert hv.vital_sets(msg.observations)[0].values == {
        "hr": 74,
        "spo2": 98,
        "sbp": 124,
        "dbp": 79,
        "map": 94,
    }
    assert [s.reason for s in msg.skipped] == ["alarm row (alarms are not vital signs)"]
    assert msg.header.sending_app == "" and msg.header.control_id == "HP1"


def test_philips_unassigned_bed_has_no_patient() -> None:
    msg = parse(M.philips_piic("2", mrn='""'))
    assert msg.patient_unassigned and msg.patient_ids == ()


def test_blood_pressure_in_kpa_is_converted_to_mmhg() -> None:
    v = values(M.philips_piic("3", sbp=16.0, dbp=10.7, mean=12.5, unit_bp="0004-0f03^kPa^MDIL"))
    assert v["sbp"] == pytest.approx(120.0, abs=0.1)
    assert v["dbp"] == pytest.approx(80.3, abs=0.1)


def test_a_unit_that_cannot_be_the_vitals_unit_is_refused_clearly() -> None:
    msg = parse(M.philips_piic("4", unit_bp="0004-0220^%^MDIL"))
    assert not [o for o in msg.observations if o.vital is hv.Vital.SBP]
    assert any("cannot be a sbp unit" in s.reason for s in msg.skipped)


def test_efficia_invalid_spo2_and_fahrenheit_temperature() -> None:
    msg = parse(M.efficia("7"))
    v = hv.vital_sets(msg.observations)
    assert len(v) == 1
    assert v[0].values == {"hr": 77, "temp": 37.0, "sbp": 131, "dbp": 84}
    assert sorted(s.reason.split(" ")[0] for s in msg.skipped) == ["marked", "no"]


def test_welch_allyn_text_codes_st_values_obx4_tags_and_degree_sign() -> None:
    msg = parse(M.welch_allyn("W1"))
    assert msg.location_keys == () and msg.patient_ids == ("KF-000001",)
    v = hv.vital_sets(msg.observations)[0].values
    assert v == {"sbp": 142, "dbp": 91, "map": 108, "hr": 88, "spo2": 95, "temp": 36.89}


def test_loinc_codes_with_ucum_units_and_a_z_segment() -> None:
    v = values(M.loinc_generic("L1", sbp=131, dbp=85, hr=66, spo2=99, rr=12))
    assert v == {"sbp": 131, "dbp": 85, "map": 100, "hr": 66, "spo2": 99, "rr": 12}


def test_missing_unit_is_assumed_only_where_one_unit_exists() -> None:
    text = (
        M.loinc_generic("L2")
        .replace("|/min^per minute^UCUM|", "||")
        .replace("|mm[Hg]^mmHg^UCUM|", "||")
    )
    msg = parse(text)
    v = hv.vital_sets(msg.observations)[0].values
    assert "hr" in v and "rr" in v and "sbp" not in v
    assert any("more than one unit" in s.reason for s in msg.skipped)


def test_a_clinic_mapping_adds_a_private_code_and_its_unit() -> None:
    text = M.mindray_egateway("MR3").replace(
        "352^MNDRY_ECG_VPB_RATE^99MNDRY|1.7.1.352|0|264864^MDC_DIM_BEAT_PER_MIN^MDC",
        "352^MNDRY_RR^99MNDRY|1.7.1.352|12|",
    )
    extra = {"99MNDRY:352": hv.CodeMap(hv.Vital.RR, 0, "clinic", "/min")}
    v = values(text, mappings=extra)
    assert v["rr"] == 12


def test_number_name_mismatch_follows_the_number() -> None:
    keys = hv.code_keys("149522", "MDC_PULS_RATE", "MDC", "1.3.1.149522")
    assert keys.index("MDC:149522") < keys.index("MDC:149514")


def test_segment_separators_newlines_and_nuls_are_tolerated() -> None:
    text = M.loinc_generic("L3")
    for variant in (text.replace("\r", "\n"), text.replace("\r", "\r\n"), "\x00" + text + "\x00"):
        assert values(variant)["sbp"] == 120


def test_observation_time_falls_back_from_obx14_to_obr7_to_msh7_to_receipt() -> None:
    text = M.ge_b40("GE2", at=datetime(2026, 11, 21, 8, 30, tzinfo=UTC))
    assert hv.vital_sets(parse(text).observations)[0].observed_at == datetime(
        2026, 11, 21, 8, 30, tzinfo=UTC
    )
    bare = "MSH|^~\\&|X||||||ORU^R01|9|P|2.5\rOBX|1|NM|8867-4^HR^LN||60|/min|||||F"
    assert hv.vital_sets(parse(bare).observations)[0].observed_at == NOW


def test_timestamps_without_offset_are_clinic_local_and_zero_dates_invalid() -> None:
    summer = hl7c.parse_ts("20260701120000", LONDON)
    assert summer == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)
    assert hl7c.parse_ts("00000000000000", LONDON) is None
    assert hl7c.parse_ts("20261121093400.000-0800", LONDON) == datetime(
        2026, 11, 21, 17, 34, tzinfo=UTC
    )


def test_impossible_values_are_left_out_with_a_note() -> None:
    sets = hv.vital_sets(parse(M.loinc_generic("L4", sbp=80, dbp=95, hr=900)).observations)
    assert "sbp" not in sets[0].values and "hr" not in sets[0].values
    assert len(sets[0].notes) == 2


def test_nibp_measured_earlier_forms_its_own_set() -> None:
    now = datetime(2026, 11, 21, 8, 50, tzinfo=UTC)
    text = M.loinc_generic("L5", at=now)
    for code in ("8480-6", "8462-4", "8478-0"):
        row = next(line for line in text.split("\r") if code in line)
        text = text.replace(row, row.replace(M.ts(now), "20261121084500+0000"))
    sets = hv.vital_sets(parse(text).observations)
    assert [sorted(s.values) for s in sets] == [["dbp", "map", "sbp"], ["hr", "rr", "spo2"]]
    assert sets[0].observed_at == datetime(2026, 11, 21, 8, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("PID|||1\rOBX|1|NM|8867-4^HR^LN||60|/min", "does not start with an MSH"),
        ("MSH|^~\\&|A|B|||20260101||ORU^R01||P|2.5\rOBX|1|NM|8867-4^HR^LN||60|/min", "MSH-10"),
        ("MSH|^~\\&|A|B|||20260101|||1|P|2.5\rOBX|1|NM|8867-4^HR^LN||60|/min", "MSH-9"),
    ],
)
def test_messages_lacking_required_fields_are_rejected_with_the_reason(
    text: str, problem: str
) -> None:
    with pytest.raises(hl7c.HL7Reject) as exc:
        parse(text)
    assert problem in exc.value.text and exc.value.ack == "AR"


def test_keep_alives_and_other_message_types_are_not_results() -> None:
    assert not parse("MSH|^~\\&|||||||ORU^R01|106|P|2.3.1|").relevant
    adt = parse("MSH|^~\\&|A|B|||20260101||ADT^A01|101|P|2.3.1\rPID|||1")
    assert not adt.relevant and "ADT^A01" in adt.ignore_reason


def test_decode_follows_msh18_and_falls_back_to_latin1() -> None:
    latin = (
        "MSH|^~\\&|WAP^WAP||||||ORU^R01|1|P|2.3||||||8859/1\rOBX|1|ST|T^T^WAP|1|98.4|^°F".encode(
            "latin-1"
        )
    )
    assert hl7c.decode(latin) == (latin.decode("latin-1"), "latin-1")
    undeclared = "MSH|^~\\&|A||||||ORU^R01|1|P|2.3\rOBX|1|ST|T^T^WAP|1|98.4|^°F".encode("latin-1")
    text, codec = hl7c.decode(undeclared)
    assert codec == "latin-1" and "°F" in text
    utf8 = "MSH|^~\\&|A||||||ORU^R01|1|P|2.6||||||UNICODE UTF-8\rNTE|1||SpO₂".encode()
    assert hl7c.decode(utf8) == (utf8.decode(), "utf-8")


def test_location_keys_for_the_shapes_monitors_send() -> None:
    assert hv.location_keys("SURGERY^^V2") == ("SURGERY^^V2", "SURGERY/V2", "V2")
    assert hv.location_keys("^^Doc1&5&1")[-1] == "DOC1"
    assert hv.location_keys("^^&10")[-1] == "10"
    assert hv.location_keys('""') == ()


def test_ack_echoes_the_control_id_and_carries_an_err_segment_when_not_accepted() -> None:
    header = parse(M.loinc_generic("C|1".replace("|", ""))).header
    ack = hl7c.build_ack(header, "AE", now=NOW, ack_id="9", text="Bad ^ thing", err="207")
    msa = ack.split("\r")[1].split("|")
    assert msa[:3] == ["MSA", "AE", "C1"] and "\\S\\" in msa[3]
    assert ack.split("\r")[2].startswith("ERR|||207^")
