"""Recent chat traffic (incoming messages, receipts, calls), numbered for polling.

The internal API serves it at ``GET /v1/events?after=<seq>``; it is a bounded
in-memory ring, not a durable queue (webhooks are the durable path).
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict
from typing import Any

from mywhatsapp.sessionpod import events as ev

TYPE_NAMES = {ev.IncomingMessage: "message", ev.Receipt: "receipt", ev.IncomingCall: "call"}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def as_json(event: ev.IncomingMessage | ev.Receipt | ev.IncomingCall) -> dict[str, Any]:
    """The JSON shape of a traffic event (camelCase keys, a ``type``)."""
    body = {_camel(key): value for key, value in asdict(event).items()}
    if "ids" in body:
        body["ids"] = list(body["ids"])
    return {"type": TYPE_NAMES[type(event)], **body}


class TrafficLog:
    """The last ``size`` traffic events, each with an increasing ``seq``."""

    def __init__(self, size: int = 1000) -> None:
        self._items: deque[dict[str, Any]] = deque(maxlen=size)
        self._seq = 0

    def append(self, event: ev.IncomingMessage | ev.Receipt | ev.IncomingCall) -> dict[str, Any]:
        self._seq += 1
        item = {"seq": self._seq, **as_json(event)}
        self._items.append(item)
        return item

    @property
    def last_seq(self) -> int:
        return self._seq

    def since(self, after: int) -> list[dict[str, Any]]:
        """Events with ``seq`` greater than ``after``, oldest first."""
        return [item for item in self._items if item["seq"] > after]
