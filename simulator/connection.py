"""One live connection of a device to the simulator: an ordered event feed.

Events get increasing sequence numbers; a device long-polls with
``after=<last seq it saw>`` and gets everything newer, which also acknowledges
(drops) what it has seen. A closed connection still hands out its last events
(for example ``logged_out``) and then reports ``closed``.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any


class Connection:
    """Event feed of one device connection (used from one asyncio loop only)."""

    def __init__(self, device_id: str) -> None:
        self.id = secrets.token_hex(8)
        self.device_id = device_id
        self.closed = False
        self._events: list[dict[str, Any]] = []
        self._seq = 0
        self._changed = asyncio.Event()
        self.qr_task: asyncio.Task[None] | None = None

    def push(self, event: dict[str, Any]) -> None:
        """Append ``event`` (a JSON object with a ``type``) to the feed."""
        if self.closed:
            return
        self._seq += 1
        self._events.append({**event, "seq": self._seq})
        self._wake()

    def close(self) -> None:
        """Stop the feed; pending events are still handed out once."""
        if self.qr_task is not None and not self.qr_task.done():
            self.qr_task.cancel()
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _after(self, after: int) -> list[dict[str, Any]]:
        self._events = [event for event in self._events if event["seq"] > after]
        return list(self._events)

    async def wait(self, after: int, timeout: float) -> list[dict[str, Any]]:
        """Events newer than ``after``, waiting up to ``timeout`` seconds for one."""
        events = self._after(after)
        if events or self.closed:
            return events
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            return []
        return self._after(after)
