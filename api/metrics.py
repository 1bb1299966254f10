"""Prometheus metrics of one app (its own registry, so tests can build many apps)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE

__all__ = ["CONTENT_TYPE", "Metrics"]


class Metrics:
    """Request counts and latencies, cache size, Kubernetes API calls."""

    def __init__(self, *, cached_sessions: Callable[[], int], kube_requests: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("mywhatsapp_api_requests", "HTTP requests answered",
                                ["route", "code"], registry=self.registry)
        self.latency = Histogram("mywhatsapp_api_request_seconds", "Time to answer a request",
                                 ["route"], registry=self.registry)
        sessions = Gauge("mywhatsapp_api_cached_sessions", "WhatsAppSession objects in the watch cache",
                         registry=self.registry)
        sessions.set_function(lambda: float(cached_sessions()))
        kube = Gauge("mywhatsapp_api_kube_requests", "Requests this process sent to the Kubernetes API",
                     registry=self.registry)
        kube.set_function(lambda: float(kube_requests()))

    def observe(self, route: str, code: int, seconds: float) -> None:
        self.requests.labels(route, str(code)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
