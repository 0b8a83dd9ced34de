"""The listener beats (`ops.services.beat("hl7:<clinic>")`) with its frame count and ACK
latency; /readyz and /metrics read them, with the stored messages by status, from the database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.utils import OperationalError
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from ketaflow.devices.metrics import ACK_BOUNDS, AckLatency, _buckets
from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.test_listener_over_tcp import Running, read_acks
from ketaflow.ops.models import Heartbeat

TOKEN = "a-scraper-token-of-enough-length"


def beat_with(name: str, frames: int, acks: int, within: float = 20.0) -> Heartbeat:
    """The heartbeat once it reports `frames` frames read and `acks` ACKs written (a frame is
    counted when read, its ACK later; the listener beats every 0.1 s here).

    On SQLite the test database is one shared in-memory database, whose table locks refuse a
    read while the listener's thread writes its beat ("database table is locked"): such a
    read is tried again, as the loop does for a beat not yet written."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            row = Heartbeat.objects.filter(name=name).first()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.05)
            continue
        if (
            row is not None
            and row.details.get("frames") == frames
            and sum(row.details["ack_latency"]["counts"]) == acks
        ):
            return row
        time.sleep(0.05)
    raise AssertionError(f"no heartbeat {name} with {frames} frames and {acks} ACKs")


@pytest.fixture
def running(clinic: Any, checked_in: Any, binding: Any) -> Iterator[Running]:
    r = Running(clinic, heartbeat_seconds=0.1)
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            r.stop()

    r.stop_once = stop  # type: ignore[attr-defined]
    yield r
    stop()


@pytest.mark.django_db(transaction=True)
def test_the_listener_beats_and_its_figures_reach_readyz_and_metrics(
    running: Running, client: Client, settings: Any
) -> None:
    assert beat_with("hl7:riverside", 0, 0).details["port"] == running.port  # beats on start

    with running.connect() as s:
        s.sendall(M.frame(M.ge_b40("HB-1")) + M.frame(M.ge_b40("HB-2", mrn="NOBODY")))
        assert [a["code"] for a in read_acks(s, 2)] == ["AA", "AA"]
    details = beat_with("hl7:riverside", 2, 2).details
    assert details["ack_latency"]["sum"] > 0 and details["stored"] == 2
    # Stopped (its last beat written) before the web side reads: SQLite's shared test database
    # refuses a read while another thread writes. The beat is a second old at most.
    running.stop_once()  # type: ignore[attr-defined]

    settings.KETAFLOW_READY_HEARTBEATS = ["hl7:riverside"]
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["heartbeat:hl7:riverside"]["ok"] is True

    settings.KETAFLOW_METRICS_TOKEN = TOKEN
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    riverside = (("clinic", "riverside"), ("listener", ""))  # a clinic's only listener
    assert samples[("ketaflow_hl7_messages", (("clinic", "riverside"), ("status", "stored")))] == 1
    assert samples[("ketaflow_hl7_messages", (("clinic", "riverside"), ("status", "held")))] == 1
    assert samples[("ketaflow_hl7_frames_received_total", riverside)] == 2
    assert samples[("ketaflow_hl7_ack_latency_seconds_count", riverside)] == 2
    inf = tuple(sorted((*riverside, ("le", "+Inf"))))
    assert samples[("ketaflow_hl7_ack_latency_seconds_bucket", inf)] == 2
    assert samples[("ketaflow_metrics_collector_up", (("collector", "hl7"),))] == 1


def test_ack_latency_buckets_are_cumulative_with_an_infinite_last_one() -> None:
    latency = AckLatency()
    for seconds in (0.001, 0.005, 0.2, 30.0):
        latency.observe(seconds)
    buckets, total = _buckets(latency.as_details()) or ([], 0.0)
    assert dict(buckets)["0.005"] == 2  # a bound is inclusive (le)
    assert dict(buckets)["0.25"] == 3
    assert dict(buckets)["10.0"] == 3
    assert buckets[-1] == ("+Inf", 4)
    assert len(buckets) == len(ACK_BOUNDS) + 1
    assert total == pytest.approx(30.206)


def test_malformed_latency_details_are_skipped() -> None:
    assert _buckets({}) is None
    assert _buckets({"bounds": [0.1], "counts": [1]}) is None
