"""Calls to a session pod's internal HTTP API (``common.pod_contract``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from mywhatsapp.common import pod_contract

TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class PodAnswer:
    """What the pod said: HTTP status and JSON body (``{}`` if none)."""

    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class PodUnavailable(Exception):
    """The pod could not be reached (no endpoint, no token, connection failed)."""


def call(endpoint: str, token: str, path: str, payload: dict[str, Any] | None = None,
         *, timeout: float = TIMEOUT_SECONDS) -> PodAnswer:
    """POST ``payload`` to ``http://<endpoint><path>`` with the bearer token."""
    if not endpoint or not token:
        raise PodUnavailable("no endpoint or token")
    try:
        response = httpx.post(
            f"http://{endpoint}{path}",
            json=payload or {},
            headers={pod_contract.AUTH_HEADER: f"Bearer {token}"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise PodUnavailable(type(exc).__name__) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    return PodAnswer(response.status_code, body if isinstance(body, dict) else {})
