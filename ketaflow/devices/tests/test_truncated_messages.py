"""A framed ORU cut short in transit is answered AE naming the segment, never AA.

Found by an attacker: a truncated but framed ORU was acknowledged AA after its last vitals
were silently dropped, so the monitor never resent them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ketaflow.devices import hl7_codec as hl7c
from ketaflow.devices import hl7_vitals as hv
from ketaflow.devices.models import DeviceReading, InboundMessage
from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.conftest import ack_fields, ingest

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
SAMPLES = {
    "ge_b40": M.ge_b40,
    "philips_piic": M.philips_piic,
    "mindray_egateway": M.mindray_egateway,
    "welch_allyn": M.welch_allyn,
    "loinc_generic": M.loinc_generic,
    "efficia": M.efficia,
}


def parse(text: str) -> hv.ParsedMessage:
    return hv.parse_message(text, zone=LONDON, received_at=NOW)


def cut_in_last_obx(text: str, fields_kept: int) -> str:
    """The message as a cut in transit leaves it: inside its last OBX, nothing after."""
    segments = hl7c.normalise_segments(text).rstrip("\r").split("\r")
    at = max(i for i, s in enumerate(segments) if s.startswith("OBX"))
    return "\r".join([*segments[:at], "|".join(segments[at].split("|")[:fields_kept])])


@pytest.mark.parametrize("vendor", SAMPLES)
def test_every_vendors_whole_message_is_accepted(vendor: str) -> None:
    assert parse(SAMPLES[vendor]("W-1")).observations


@pytest.mark.parametrize("vendor", SAMPLES)
@pytest.mark.parametrize("fields_kept", [2, 4, 6, 11])
def test_a_message_cut_inside_its_last_obx_is_refused_naming_the_segment(
    vendor: str, fields_kept: int
) -> None:
    text = cut_in_last_obx(SAMPLES[vendor]("CUT-1"), fields_kept)
    with pytest.raises(hl7c.HL7Reject) as refused:
        parse(text)
    segment_number = len(hl7c.normalise_segments(text).rstrip("\r").split("\r"))
    assert refused.value.ack == "AE"
    assert f"Segment {segment_number} (OBX" in refused.value.text
    assert "truncated" in refused.value.text
    assert refused.value.header is not None and refused.value.header.control_id.endswith("CUT-1")


@pytest.mark.parametrize("tail", ["O", "OB", "OBX", "OBX\n"])
def test_a_message_cut_inside_a_segment_name_is_refused(tail: str) -> None:
    text = hl7c.normalise_segments(M.ge_b40("CUT-2")).rstrip("\r") + "\r" + tail
    with pytest.raises(hl7c.HL7Reject) as refused:
        parse(text)
    assert refused.value.ack == "AE" and "truncated" in refused.value.text


@pytest.mark.django_db
def test_the_listener_answers_ae_and_stores_nothing_then_takes_the_resent_whole_message(
    clinic: Any, checked_in: Any, binding: Any
) -> None:
    whole = M.ge_b40("CUT-3", sbp=150)
    [cut] = ingest(clinic, cut_in_last_obx(whole, 5))
    ack = ack_fields(cut.ack)
    assert (ack["code"], ack["control_id"]) == ("AE", "CUT-3")
    assert "truncated" in ack["text"]
    assert not InboundMessage.objects.exists() and not DeviceReading.objects.exists()
    [resent] = ingest(clinic, whole)
    assert resent.code == "AA" and DeviceReading.objects.get().sbp == 150
