"""Reports the session's status to its CR without ever blocking the WhatsApp side.

``update`` only records the newest wanted status and wakes a background task;
that task waits a short debounce (so bursts collapse into one patch), sends
the newest patch, and on failure (conflict, API server down, network) retries
with exponential backoff and jitter, always with the newest status. ``flush``
lets shutdown wait, with a deadline, until the last status has been written.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)


class StatusTransport(Protocol):
    """Sends one JSON merge patch to the CR's status subresource; raises on failure."""

    async def patch_status(self, body: dict[str, Any]) -> None: ...


class StatusReporter:
    """Debounced, retried status patches (one background task)."""

    def __init__(
        self,
        transport: StatusTransport,
        *,
        debounce: float = 0.1,
        backoff_start: float = 0.25,
        backoff_max: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._transport = transport
        self._debounce = debounce
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._sleep = sleep
        self._wanted: dict[str, Any] | None = None
        self._sent: dict[str, Any] | None = None
        self._wake = asyncio.Event()
        self._synced = asyncio.Event()
        self._synced.set()
        self._task: asyncio.Task[None] | None = None
        self.failures = 0
        self.patches_sent = 0

    def start(self) -> None:
        """Start the background sender (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="status-reporter")

    def update(self, body: dict[str, Any]) -> None:
        """Make ``body`` the patch to send next (replacing any unsent one). Never blocks."""
        if body == self._wanted:
            return
        self._wanted = body
        if body != self._sent:
            self._synced.clear()
            self._wake.set()

    @property
    def wanted(self) -> dict[str, Any] | None:
        """The newest patch asked for."""
        return self._wanted

    async def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the newest patch to be written; True if it was."""
        try:
            await asyncio.wait_for(self._synced.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        """Cancel the background sender."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        backoff = self._backoff_start
        while True:
            await self._wake.wait()
            await self._sleep(self._debounce)
            self._wake.clear()
            body = self._wanted
            if body is None or body == self._sent:
                self._synced.set()
                continue
            try:
                await self._transport.patch_status(body)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure: retry later with the newest status
                self.failures += 1
                delay = min(backoff, self._backoff_max) * random.uniform(0.5, 1.0)
                log.warning("status patch failed (%s); retrying in %.1fs", error, delay)
                backoff = min(backoff * 2, self._backoff_max)
                self._wake.set()
                await self._sleep(delay)
                continue
            backoff = self._backoff_start
            self._sent = body
            self.patches_sent += 1
            if self._wanted == body:
                self._synced.set()
            else:
                self._wake.set()
