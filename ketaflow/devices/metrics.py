"""The HL7 listeners' metrics, for /metrics (`ketaflow.ops.metrics`).

A listener is its own process, so what it measures (frames received, ACK latency) travels in
its heartbeat's details (`ketaflow.ops.services.beat`, every few seconds): cumulative since
the listener started, read back here at scrape time as counters and a histogram that reset
when the listener restarts, as Prometheus expects of counters. Messages by status (held ones
included) are counted from the stored messages themselves. Counts only: no patient data.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

from django.db.models import Count
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from ketaflow.devices.models import InboundMessage
from ketaflow.ops import selectors as ops_selectors
from ketaflow.ops.metrics import register_collector

#: A listener's heartbeat is named HEARTBEAT_PREFIX + the clinic's slug, and "/" + the
#: listener's instance name when several listeners serve one clinic (`hl7-listen --instance`).
HEARTBEAT_PREFIX = "hl7:"
INSTANCE_SEPARATOR = "/"

#: Upper bounds (seconds) of the ACK latency histogram's buckets (+Inf implied).
ACK_BOUNDS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def heartbeat_name(clinic_slug: str, instance: str = "") -> str:
    """`hl7:<slug>`, or `hl7:<slug>/<instance>` for one of several listeners of a clinic: each
    keeps its own heartbeat, so /readyz sees either stop and /metrics counts both."""
    name = f"{HEARTBEAT_PREFIX}{clinic_slug}"
    return f"{name}{INSTANCE_SEPARATOR}{instance}" if instance else name


def clinic_and_instance(name: str) -> tuple[str, str]:
    """A heartbeat name's clinic slug and listener instance ("" for a clinic's only one)."""
    clinic, _, instance = name.removeprefix(HEARTBEAT_PREFIX).partition(INSTANCE_SEPARATOR)
    return clinic, instance


class AckLatency:
    """Frame read → its ACK written, as a histogram kept in one listener process."""

    def __init__(self) -> None:
        self.counts = [0] * (len(ACK_BOUNDS) + 1)  # per bucket, the last one over every bound
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(ACK_BOUNDS, seconds)] += 1
        self.total += seconds

    def as_details(self) -> dict[str, Any]:
        return {"bounds": list(ACK_BOUNDS), "counts": list(self.counts), "sum": self.total}


def _buckets(details: dict[str, Any]) -> tuple[list[tuple[str, float]], float] | None:
    """Cumulative Prometheus buckets from `AckLatency.as_details()`, or None if malformed."""
    bounds, counts = details.get("bounds"), details.get("counts")
    if not isinstance(bounds, list) or not isinstance(counts, list):
        return None
    if len(counts) != len(bounds) + 1:
        return None
    cumulative: list[tuple[str, float]] = []
    running = 0
    for bound, n in zip([*bounds, float("inf")], counts, strict=True):
        running += int(n)
        cumulative.append(("+Inf" if bound == float("inf") else repr(float(bound)), running))
    return cumulative, float(details.get("sum", 0.0))


def collect() -> Iterator[Metric]:
    by_status = GaugeMetricFamily(
        "ketaflow_hl7_messages",
        'Stored HL7 messages by clinic and status (status="held": waiting for a nurse).',
        labels=["clinic", "status"],
    )
    rows = (
        InboundMessage.objects.values("clinic__slug", "status").order_by().annotate(n=Count("id"))
    )
    for row in rows:
        by_status.add_metric([row["clinic__slug"], row["status"]], row["n"])
    yield by_status

    # One series per listener (`listener` is its --instance, "" for a clinic's only one): each
    # listener's counters are its own since it started; sum them by clinic for the clinic.
    received = CounterMetricFamily(
        "ketaflow_hl7_frames_received",
        "HL7 frames a listener received since it started (refused ones included).",
        labels=["clinic", "listener"],
    )
    latency = HistogramMetricFamily(
        "ketaflow_hl7_ack_latency_seconds",
        "Seconds from reading a frame to writing its ACK, since the listener started.",
        labels=["clinic", "listener"],
    )
    for beat in ops_selectors.heartbeats(HEARTBEAT_PREFIX):
        labels = list(clinic_and_instance(beat.name))
        frames = beat.details.get("frames")
        if isinstance(frames, int):
            received.add_metric(labels, frames)
        buckets = _buckets(beat.details.get("ack_latency") or {})
        if buckets is not None:
            latency.add_metric(labels, buckets[0], buckets[1])
    yield received
    yield latency


def register() -> None:
    register_collector("hl7", collect)
