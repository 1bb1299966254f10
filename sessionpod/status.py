"""The session's status as the pod reports it, in the seed's vocabulary.

``SessionStatus`` is what the pod currently says about its connection; the
builders below make one per lifecycle step, and ``status_patch`` turns it into
the JSON merge patch of the CR's ``status`` subresource. The patch always
names every field the pod owns (``null`` removes one), so sending the latest
patch again is harmless and a lost patch is repaired by the next.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final

from mywhatsapp.common.vocabulary import State, Status

#: Status fields written by the pod (everything else belongs to the operator).
POD_FIELDS: Final = ("state", "status", "message", "qr", "phone", "pushName", "pairingCode", "endpoint")


@dataclass(frozen=True)
class QrInfo:
    """The QR code waiting to be scanned."""

    code: str
    attempt: int
    expires_at: float | None


@dataclass(frozen=True)
class SessionStatus:
    """One report: state, status, message and the details that go with them."""

    state: State
    status: Status
    message: str
    qr: QrInfo | None = None
    phone: str | None = None
    push_name: str | None = None
    pairing_code: str | None = None

    @property
    def connected(self) -> bool:
        """True while logged in and online."""
        return self.state is State.CONNECTED

    @property
    def waiting_for_login(self) -> bool:
        """True while a QR code or pairing code is on offer."""
        return self.state in (State.QRCODE, State.GETCODE)


def rfc3339(epoch_seconds: float) -> str:
    """``2026-01-02T03:04:05Z`` (UTC, whole seconds) for a Kubernetes date-time field."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def starting() -> SessionStatus:
    return SessionStatus(State.STARTING, Status.IS_STARTING, "Starting the WhatsApp connection")


def connecting(reason: str = "") -> SessionStatus:
    text = "Connecting to WhatsApp" + (f" ({reason})" if reason else "")
    return SessionStatus(State.CONNECTING, Status.IS_CONNECTING, text)


def qr_code(code: str, attempt: int, max_attempts: int, expires_at: float | None) -> SessionStatus:
    return SessionStatus(
        State.QRCODE,
        Status.QR_READ,
        f"Scan the QR code with WhatsApp (code {attempt} of {max_attempts})",
        qr=QrInfo(code, attempt, expires_at),
    )


def pairing(code: str, phone: str) -> SessionStatus:
    return SessionStatus(
        State.GETCODE,
        Status.GET_CODE,
        f"Type the pairing code on the phone {phone}" if phone else "Type the pairing code on the phone",
        pairing_code=code,
    )


def connected(phone: str, push_name: str) -> SessionStatus:
    return SessionStatus(
        State.CONNECTED, Status.IN_CHAT, "Connected to WhatsApp", phone=phone, push_name=push_name
    )


def autoclosed(max_attempts: int) -> SessionStatus:
    return SessionStatus(
        State.CLOSE,
        Status.AUTOCLOSE_CALLED,
        f"No QR code was scanned after {max_attempts} codes; the session stopped",
    )


def closed() -> SessionStatus:
    return SessionStatus(State.CLOSE, Status.BROWSER_CLOSE, "The session pod stopped; the login is kept")


def logged_out(reason: str) -> SessionStatus:
    return SessionStatus(State.DISCONNECTED, Status.NOT_LOGGED, f"Logged out: {reason}" if reason else "Logged out")


def replaced() -> SessionStatus:
    return SessionStatus(
        State.DISCONNECTED,
        Status.SERVER_CLOSE,
        "Another connection with this device's keys replaced this one",
    )


def banned(reason: str, expires_at: float | None) -> SessionStatus:
    until = f" until {rfc3339(expires_at)}" if expires_at else ""
    return SessionStatus(State.BANNED, Status.IS_BANNED, f"Temporarily banned{until}: {reason or 'no reason given'}")


def failed(reason: str) -> SessionStatus:
    return SessionStatus(State.ERROR, Status.IS_ERROR, f"WhatsApp connection failed: {reason}")


def on_shutdown(current: SessionStatus) -> SessionStatus:
    """What to report when the pod stops: CLOSE/browserClose unless a final state says more."""
    if current.state in (State.CLOSE, State.DISCONNECTED, State.BANNED, State.ERROR):
        return replace(current, qr=None, pairing_code=None)
    return replace(closed(), phone=current.phone, push_name=current.push_name)


def status_fields(current: SessionStatus, *, endpoint: str | None) -> dict[str, Any]:
    """The pod-owned ``status`` fields for ``current`` (``None`` = remove the field)."""
    qr = None
    if current.qr is not None:
        qr = {"code": current.qr.code, "attempt": current.qr.attempt}
        if current.qr.expires_at is not None:
            qr["expiresAt"] = rfc3339(current.qr.expires_at)
    return {
        "state": current.state.value,
        "status": current.status.value,
        "message": current.message,
        "qr": qr,
        "phone": current.phone,
        "pushName": current.push_name,
        "pairingCode": current.pairing_code,
        "endpoint": endpoint,
    }


def status_patch(current: SessionStatus, *, endpoint: str | None) -> dict[str, Any]:
    """JSON merge patch for the CR's status subresource."""
    return {"status": status_fields(current, endpoint=endpoint)}
