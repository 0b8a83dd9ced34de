"""Two listeners for one clinic (two hosts, monitors split between them; `make bench-scale`):
a message resent to the other listener is stored once, and each listener keeps its own
heartbeat, so /readyz notices either one stopping and /metrics counts the frames of both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from ketaflow.devices.metrics import clinic_and_instance, heartbeat_name
from ketaflow.devices.models import DeviceReading, InboundMessage
from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.test_listener_heartbeat_and_metrics import TOKEN, beat_with
from ketaflow.devices.tests.test_listener_over_tcp import Running, read_acks
from ketaflow.ops.models import Heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


class Pair(tuple[Running, Running]):
    stopped = False

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            for r in self:
                r.stop()


@pytest.fixture
def pair(clinic: Any, checked_in: Any, binding: Any) -> Iterator[Pair]:
    both = Pair(
        (
            Running(clinic, heartbeat_seconds=0.1, instance="a"),
            Running(clinic, heartbeat_seconds=0.1, instance="b"),
        )
    )
    yield both
    both.stop()


def _send_until_accepted(running: Running, ctrls: list[str], acks: list[dict[str, str]]) -> None:
    """A monitor: each message until it is answered AA (an AE asks for a resend)."""
    with running.connect() as s:
        for ctrl in ctrls:
            for _ in range(10):
                s.sendall(M.frame(M.ge_b40(ctrl)))
                ack = read_acks(s, 1)[0]
                if ack["code"] == "AA":
                    break
            acks.append(ack)


def test_each_message_sent_to_both_listeners_of_a_clinic_at_once_is_stored_once(
    pair: Pair,
) -> None:
    ctrls = [f"BOTH-{n}" for n in range(12)]
    acks: list[dict[str, str]] = []
    senders = [threading.Thread(target=_send_until_accepted, args=(r, ctrls, acks)) for r in pair]
    for t in senders:
        t.start()
    for t in senders:
        t.join(60)
    assert sorted(a["control_id"] for a in acks) == sorted(ctrls * 2)
    assert {a["code"] for a in acks} == {"AA"}
    assert sorted(InboundMessage.objects.values_list("control_id", flat=True)) == sorted(ctrls)
    assert DeviceReading.objects.count() == len(ctrls)  # one set of readings each
    duplicates = [a for a in acks if "Duplicate" in a["text"]]
    assert len(duplicates) == len(ctrls)  # of each pair, the one that came second


def test_each_listener_of_a_clinic_beats_under_its_own_name_and_metrics_count_both(
    pair: Pair, client: Client, settings: Any
) -> None:
    a, b = pair
    with a.connect() as s:
        s.sendall(M.frame(M.ge_b40("A-1")) + M.frame(M.ge_b40("A-2")))
        assert len(read_acks(s, 2)) == 2
    with b.connect() as s:
        s.sendall(M.frame(M.ge_b40("B-1")))
        assert len(read_acks(s, 1)) == 1
    assert beat_with("hl7:riverside/a", 2, 2).details["port"] == a.port
    assert beat_with("hl7:riverside/b", 1, 1).details["port"] == b.port
    pair.stop()  # last beats written before the web side reads (SQLite's shared test DB)
    assert not Heartbeat.objects.filter(name="hl7:riverside").exists()

    settings.KETAFLOW_READY_HEARTBEATS = ["hl7:riverside/a", "hl7:riverside/b"]
    checks = client.get("/readyz").json()["checks"]
    assert checks["heartbeat:hl7:riverside/a"]["ok"] and checks["heartbeat:hl7:riverside/b"]["ok"]

    settings.KETAFLOW_METRICS_TOKEN = TOKEN
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    frames = {
        s.labels["listener"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "ketaflow_hl7_frames_received_total" and s.labels["clinic"] == "riverside"
    }
    assert frames == {"a": 2, "b": 1}


def test_a_heartbeat_name_says_its_clinic_and_listener() -> None:
    assert heartbeat_name("riverside") == "hl7:riverside"
    assert heartbeat_name("riverside", "east-1") == "hl7:riverside/east-1"
    assert clinic_and_instance("hl7:riverside") == ("riverside", "")
    assert clinic_and_instance("hl7:riverside/east-1") == ("riverside", "east-1")


def test_hl7_listen_refuses_an_instance_name_that_would_not_fit_a_heartbeat() -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--instance"):
        call_command("hl7-listen", "--instance", "a/b", "--port", "0")
