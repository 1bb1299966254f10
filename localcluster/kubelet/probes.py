"""Container probes (httpGet, tcpSocket, exec) and their success/failure thresholds."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def _port(value: Any, container: Mapping[str, Any]) -> int:
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    for p in container.get("ports") or []:
        if p.get("name") == value:
            return int(p["containerPort"])
    raise ValueError(f"named port {value!r} not found")


def run_probe(probe: Mapping[str, Any], container: Mapping[str, Any], pod_ip: str,
              *, exec_prefix: list[str] | None = None, env: Mapping[str, str] | None = None) -> bool:
    """One probe attempt: True on success."""
    timeout = float(probe.get("timeoutSeconds", 1))
    try:
        if "httpGet" in probe:
            h = probe["httpGet"]
            host = h.get("host") or pod_ip
            port = _port(h["port"], container)
            cls = http.client.HTTPSConnection if h.get("scheme") == "HTTPS" else http.client.HTTPConnection
            if cls is http.client.HTTPSConnection:
                import ssl
                conn = cls(host, port, timeout=timeout, context=ssl._create_unverified_context())  # noqa: S323 - probes skip verification, as the kubelet does
            else:
                conn = cls(host, port, timeout=timeout)
            try:
                headers = {x["name"]: x["value"] for x in h.get("httpHeaders") or []}
                conn.request("GET", h.get("path", "/"), headers=headers)
                return 200 <= conn.getresponse().status < 400
            finally:
                conn.close()
        if "tcpSocket" in probe:
            t = probe["tcpSocket"]
            with socket.create_connection((t.get("host") or pod_ip, _port(t["port"], container)), timeout=timeout):
                return True
        if "exec" in probe:
            cmd = list(exec_prefix or []) + list(probe["exec"]["command"])
            return subprocess.run(cmd, env=dict(env or {}), timeout=timeout, capture_output=True).returncode == 0
    except (OSError, ValueError, subprocess.TimeoutExpired, http.client.HTTPException):
        return False
    return False


@dataclass
class ProbeState:
    """Schedule and thresholds of one probe of one container run."""

    spec: Mapping[str, Any]
    started: float
    next_at: float = 0.0
    successes: int = 0
    failures: int = 0
    result: bool | None = None  # None until the threshold decides

    def __post_init__(self) -> None:
        self.next_at = self.started + float(self.spec.get("initialDelaySeconds", 0))

    @property
    def period(self) -> float:
        return float(self.spec.get("periodSeconds", 10))

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def record(self, ok: bool, now: float) -> bool | None:
        """Fold one attempt in; return the new decided result (or None if undecided)."""
        self.next_at = now + self.period
        if ok:
            self.successes, self.failures = self.successes + 1, 0
            if self.successes >= int(self.spec.get("successThreshold", 1)):
                self.result = True
        else:
            self.failures, self.successes = self.failures + 1, 0
            if self.failures >= int(self.spec.get("failureThreshold", 3)):
                self.result = False
        return self.result


def new_probe(spec: Mapping[str, Any] | None) -> ProbeState | None:
    return ProbeState(spec=spec, started=time.monotonic()) if spec else None
