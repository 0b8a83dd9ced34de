"""Prometheus metrics: /metrics's content (`exposition`).

- Requests and latency: django-prometheus's middleware (per process).
- Figures that live in the database are read at scrape time, so every web process reports the
  same value and processes that serve no HTTP (HL7 listeners, workers, the scheduler) are
  counted too: the task queue, sign-in failures (from the audit log), lock-outs (axes),
  heartbeat ages; other apps add theirs with `register_collector` (devices: HL7 messages and
  ACK latency). A collector whose read fails yields `ketaflow_metrics_collector_up 0` instead
  of failing the scrape.
- With several web processes set PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess
  mode) so the per-process request metrics are summed across them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator

from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from ketaflow.ops import selectors

log = logging.getLogger(__name__)

#: A function that yields metric families read from the database at scrape time.
Collect = Callable[[], Iterable[Metric]]

_collectors: dict[str, Collect] = {}


def register_collector(name: str, collect: Collect) -> None:
    """Add (or replace) a named scrape-time collector; call it from an AppConfig.ready()."""
    _collectors[name] = collect


def _task_queue() -> Iterator[Metric]:
    state = selectors.queue_state(timezone.now())
    queued = GaugeMetricFamily(
        "ketaflow_tasks_queued", "Background jobs waiting to run.", labels=["backend"]
    )
    queued.add_metric([state.backend], state.queued)
    yield queued
    wait = GaugeMetricFamily(
        "ketaflow_tasks_oldest_wait_seconds",
        "How long the oldest waiting job has waited (0 when none waits).",
        labels=["backend"],
    )
    wait.add_metric([state.backend], state.oldest_wait.total_seconds() if state.oldest_wait else 0)
    yield wait
    failed = GaugeMetricFamily(
        "ketaflow_tasks_failed", "Background jobs that failed (kept results).", labels=["backend"]
    )
    failed.add_metric([state.backend], state.failed)
    yield failed


def _sign_in() -> Iterator[Metric]:
    yield CounterMetricFamily(
        "ketaflow_signin_failures",
        "Failed sign-ins (from the audit log).",
        value=selectors.sign_in_failures(),
    )
    yield GaugeMetricFamily(
        "ketaflow_signin_locked_out",
        "Username and address pairs locked out now (django-axes).",
        value=selectors.locked_out(timezone.now()),
    )


def _heartbeats() -> Iterator[Metric]:
    now = timezone.now()
    ages = GaugeMetricFamily(
        "ketaflow_heartbeat_age_seconds",
        "Seconds since each long-running process last beat.",
        labels=["name"],
    )
    for beat in selectors.heartbeats():
        ages.add_metric([beat.name], (now - beat.last_beat_at).total_seconds())
    yield ages


register_collector("tasks", _task_queue)
register_collector("sign_in", _sign_in)
register_collector("heartbeats", _heartbeats)


class _Guarded:
    """Runs every registered collector; one that raises is reported, not fatal."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "ketaflow_metrics_collector_up",
            "1 if the collector read its figures at this scrape, else 0.",
            labels=["collector"],
        )
        for name, collect in sorted(_collectors.items()):
            try:
                families = list(collect())
            except Exception:
                log.warning("metrics collector %s failed", name, exc_info=True)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


class _ThisProcess:
    """The process's own metrics (the default registry), when not in multiprocess mode."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition() -> bytes:
    """The text a scrape of /metrics returns."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_Guarded())
    return generate_latest(registry)
