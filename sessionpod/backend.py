"""The interface every WhatsApp backend implements, and its errors.

A backend owns one connection and the login state on the pod's volume. It
reports what happens through the ``emit`` callback given to ``start`` (called
on the event loop), and answers the session's requests. Implementations:
``mywhatsapp.sessionpod.simulated`` and ``mywhatsapp.sessionpod.neonize_backend``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mywhatsapp.sessionpod.events import Event
from mywhatsapp.sessionpod.messages import OutgoingMessage

EventSink = Callable[[Event], None]


class BackendError(RuntimeError):
    """A request the backend could not carry out; ``status`` suggests an HTTP code."""

    def __init__(self, message: str, *, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SentMessage:
    """What the network said about a sent message."""

    id: str
    timestamp: float
    to: str


@dataclass(frozen=True)
class NumberInfo:
    """Whether a phone number has WhatsApp, and its JID when it has."""

    phone: str
    exists: bool
    jid: str | None = None


class Backend(Protocol):
    """One WhatsApp connection."""

    #: False when the backend cannot be started again in the same process
    #: (neonize): a restart then exits and lets Kubernetes start a new process.
    restarts_in_process: bool

    async def start(self, emit: EventSink) -> None:
        """Begin connecting with the stored login (or a new one: QR codes follow)."""

    async def stop(self) -> None:
        """Disconnect, keeping the login state."""

    async def logout(self) -> None:
        """Unlink the device from the account, then wipe the login state."""

    def wipe(self) -> None:
        """Delete the login state from the volume (no network)."""

    async def pair_phone(self, phone: str) -> str:
        """Ask for a pairing code for ``phone`` (only while waiting for a login)."""

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Send ``message``; ``BackendError`` if it was not accepted."""

    async def mark_read(self, chat: str, ids: Sequence[str]) -> None:
        """Mark messages of ``chat`` as read (sends read receipts)."""

    async def check_numbers(self, phones: Sequence[str]) -> list[NumberInfo]:
        """Which of ``phones`` are on WhatsApp."""
