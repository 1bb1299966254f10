"""What a backend tells the session: one small frozen dataclass per event kind.

Backends translate their own events (neonize protobufs, simulator JSON) into
these, so the session logic and the tests never see backend specifics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class QrCode:
    """A new QR code to show (raw string); ``expires_at`` in epoch seconds when known."""

    code: str
    expires_at: float | None = None


@dataclass(frozen=True)
class QrTimeout:
    """The server stopped issuing QR codes for this login attempt."""


@dataclass(frozen=True)
class PairingCode:
    """A pairing code to type on the phone ``phone``."""

    code: str
    phone: str = ""


@dataclass(frozen=True)
class Connected:
    """Logged in and online as ``phone`` with display name ``push_name``."""

    phone: str
    push_name: str = ""


@dataclass(frozen=True)
class LoggedOut:
    """The device was unlinked (from the phone, or by a logout)."""

    reason: str = ""
    on_connect: bool = False


@dataclass(frozen=True)
class StreamReplaced:
    """Another connection with the same device keys took over."""


@dataclass(frozen=True)
class TemporaryBan:
    """The account is temporarily banned."""

    reason: str = ""
    expires_at: float | None = None


@dataclass(frozen=True)
class ConnectionLost:
    """The connection dropped; the backend may reconnect by itself."""

    reason: str = ""


@dataclass(frozen=True)
class ConnectionFailed:
    """The backend cannot connect; the pod exits and Kubernetes restarts it."""

    reason: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    """A message in a chat of this account (``from_me`` for our own, from other devices)."""

    id: str
    chat: str
    sender: str
    kind: str
    content: dict[str, Any] = field(default_factory=dict)
    from_me: bool = False
    timestamp: float = 0.0
    push_name: str = ""
    is_group: bool = False


@dataclass(frozen=True)
class Receipt:
    """Delivery/read receipts for messages this account sent."""

    ids: tuple[str, ...]
    chat: str
    receipt_type: str
    timestamp: float = 0.0


@dataclass(frozen=True)
class IncomingCall:
    """Someone is calling this account."""

    call_id: str
    caller: str
    is_video: bool = False
    timestamp: float = 0.0


Event = (
    QrCode
    | QrTimeout
    | PairingCode
    | Connected
    | LoggedOut
    | StreamReplaced
    | TemporaryBan
    | ConnectionLost
    | ConnectionFailed
    | IncomingMessage
    | Receipt
    | IncomingCall
)
#: Events that are about chats rather than the connection (kept for /v1/events).
TRAFFIC = (IncomingMessage, Receipt, IncomingCall)
