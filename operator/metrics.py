"""Prometheus metrics of the operator: sessions by phase, reconcile counts, errors and latency."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

RECONCILES = Counter("mywhatsapp_operator_reconciles", "Reconciles of WhatsAppSessions by result.", ["result"])
RECONCILE_SECONDS = Histogram("mywhatsapp_operator_reconcile_seconds", "Time to reconcile one WhatsAppSession.",
                              buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
PHASES = ("Pending", "Starting", "Running", "Stopped", "Failed", "Terminating")


class SessionsByPhase(Collector):
    """`mywhatsapp_sessions{phase}`, computed at scrape time from the operator's view."""

    def __init__(self, source: Callable[[], Mapping[object, str]]) -> None:
        self.source = source

    def collect(self) -> Iterator[GaugeMetricFamily]:
        tally = Tally(self.source().values())
        family = GaugeMetricFamily("mywhatsapp_sessions", "WhatsAppSessions by operator phase.", labels=["phase"])
        for phase in PHASES:
            family.add_metric([phase], tally.get(phase, 0))
        yield family


_registered: list[SessionsByPhase] = []


def register_sessions_source(source: Callable[[], Mapping[object, str]]) -> None:
    """Point the sessions gauge at `source` (idempotent across operator restarts in one process)."""
    if _registered:
        _registered[0].source = source
        return
    collector = SessionsByPhase(source)
    REGISTRY.register(collector)
    _registered.append(collector)
