"""The long-lived objects of one app, built by ``create_app`` and kept on ``app.state``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from mywhatsapp.api.auth import Authenticator
from mywhatsapp.api.kube.sessions import SessionStore
from mywhatsapp.api.metrics import Metrics
from mywhatsapp.api.mysql.sessionwa import SessionwaMirror
from mywhatsapp.api.settings import Settings


@dataclass
class Services:
    settings: Settings
    store: SessionStore
    authenticator: Authenticator
    metrics: Metrics
    mirror: SessionwaMirror | None = None
    mysql_ready: bool = False
    _pod_slots: dict[str, threading.BoundedSemaphore] = field(default_factory=dict)
    _slots_lock: threading.Lock = field(default_factory=threading.Lock)

    def pod_slot(self, cr_name: str) -> threading.BoundedSemaphore:
        """At most ``CONCURRENCY`` calls at once to one session pod (the seed's queue)."""
        with self._slots_lock:
            slot = self._pod_slots.get(cr_name)
            if slot is None:
                slot = threading.BoundedSemaphore(self.settings.concurrency)
                self._pod_slots[cr_name] = slot
            return slot
