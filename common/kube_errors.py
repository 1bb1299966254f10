"""HTTP status codes of the Kubernetes API as exceptions, for every client of the project.

Callers treat some on purpose as success: 409 on create (already exists),
404 on delete (already gone), 410 on a watch (list again).
"""

from __future__ import annotations

import json
from typing import Any


class KubeError(Exception):
    """A failed Kubernetes API call (``status`` 0 = no answer at all)."""

    def __init__(self, status: int, reason: str, body: Any = None) -> None:
        self.status = status
        self.reason = reason
        self.body = body
        super().__init__(f"{status} {reason}: {self.detail}")

    @property
    def detail(self) -> str:
        """The API server's ``message``, if it sent a Status object."""
        if isinstance(self.body, (bytes, str)):
            try:
                document = json.loads(self.body)
            except ValueError:
                return str(self.body)[:500]
            if isinstance(document, dict):
                return str(document.get("message", ""))[:1000]
        return ""


class NotFound(KubeError):
    """404."""


class Forbidden(KubeError):
    """403: RBAC said no."""


class Conflict(KubeError):
    """409: already exists, or a resourceVersion conflict."""


class Invalid(KubeError):
    """422 (or 400): the object was refused by validation."""


class Gone(KubeError):
    """410: a watch's resourceVersion is too old; list again."""


def error_for(status: int, reason: str, body: Any = None) -> KubeError:
    """The exception class for an HTTP status."""
    kinds: dict[int, type[KubeError]] = {403: Forbidden, 404: NotFound, 409: Conflict, 410: Gone, 422: Invalid,
                                         400: Invalid}
    return kinds.get(status, KubeError)(status, reason, body)
