"""The session's lifecycle rules as one pure function: (status, event) → decision.

``decide`` says what to report and what to do for each backend event; the
``Session`` object carries the decisions out. Rules (seed vocabulary):

* every QR code is counted; the code after the ``max_attempts``-th (or the
  server giving up) means nobody scanned: CLOSE/autocloseCalled, stop, exit 0;
* with a pairing phone, the first QR code triggers a pairing-code request and
  the session shows GETCODE/getCode instead of QR codes;
* connected → CONNECTED/inChat with phone and push name;
* logged out (unlinked from the phone) → wipe the login, DISCONNECTED/notLogged;
* stream replaced, temporary ban → stop and stay idle (no reconnect storms);
* a connection lost while connected waits for the backend to reconnect;
  a connection failure → ERROR/isError and exit 1, so Kubernetes restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod import status as st

#: WhatsApp's QR lifetimes, for backends that do not say when a code expires.
FIRST_QR_SECONDS = 60.0
NEXT_QR_SECONDS = 20.0


class Action(StrEnum):
    """Side effects the session must carry out after a decision."""

    AUTOCLOSE = "autoclose"  # stop the backend, exit 0 (operator scales to 0)
    IDLE = "idle"  # stop the backend, keep the login, stay up
    WIPE_AND_IDLE = "wipe-and-idle"  # stop the backend, delete the login, stay up
    EXIT_ERROR = "exit-error"  # exit 1, Kubernetes restarts the pod
    REQUEST_PAIRING = "request-pairing"  # ask the backend for a pairing code
    WATCH_RECONNECT = "watch-reconnect"  # exit 1 unless connected again soon
    RECORD = "record"  # keep the chat event for /v1/events


@dataclass(frozen=True)
class Login:
    """Progress of the current login attempt."""

    qr_attempts: int = 0
    pairing_requested: bool = False


@dataclass(frozen=True)
class Decision:
    """What to report (``None`` = keep the current report) and what to do."""

    status: st.SessionStatus | None
    actions: tuple[Action, ...] = ()
    login: Login = Login()


def qr_expiry(attempt: int, now: float) -> float:
    """When a QR code expires, by WhatsApp's schedule (60 s, then 20 s)."""
    return now + (FIRST_QR_SECONDS if attempt == 1 else NEXT_QR_SECONDS)


def decide(
    current: st.SessionStatus,
    login: Login,
    event: ev.Event,
    *,
    max_attempts: int,
    pairing_phone: str | None,
    now: float,
) -> Decision:
    """The decision for ``event`` given the current report and login progress."""
    match event:
        case ev.QrCode(code=code, expires_at=expires_at):
            attempt = login.qr_attempts + 1
            if attempt > max_attempts:
                return Decision(st.autoclosed(max_attempts), (Action.AUTOCLOSE,), Login())
            counted = replace(login, qr_attempts=attempt)
            if pairing_phone and current.state is st.State.GETCODE:
                return Decision(None, (), counted)
            shown = st.qr_code(code, attempt, max_attempts, expires_at or qr_expiry(attempt, now))
            if pairing_phone and not login.pairing_requested:
                return Decision(shown, (Action.REQUEST_PAIRING,), replace(counted, pairing_requested=True))
            return Decision(shown, (), counted)
        case ev.QrTimeout():
            return Decision(st.autoclosed(max_attempts), (Action.AUTOCLOSE,), Login())
        case ev.PairingCode(code=code, phone=phone):
            return Decision(st.pairing(code, phone or pairing_phone or ""), (), login)
        case ev.Connected(phone=phone, push_name=push_name):
            return Decision(st.connected(phone, push_name), (), Login())
        case ev.LoggedOut(reason=reason):
            return Decision(st.logged_out(reason or "the device was unlinked"), (Action.WIPE_AND_IDLE,), Login())
        case ev.StreamReplaced():
            return Decision(st.replaced(), (Action.IDLE,), Login())
        case ev.TemporaryBan(reason=reason, expires_at=expires_at):
            return Decision(st.banned(reason, expires_at), (Action.IDLE,), Login())
        case ev.ConnectionLost(reason=reason):
            if current.waiting_for_login:
                return Decision(st.autoclosed(max_attempts), (Action.AUTOCLOSE,), Login())
            if current.connected:
                reconnecting = replace(st.connecting(reason), phone=current.phone, push_name=current.push_name)
                return Decision(reconnecting, (Action.WATCH_RECONNECT,), login)
            return Decision(st.failed(reason or "connection lost"), (Action.EXIT_ERROR,), login)
        case ev.ConnectionFailed(reason=reason):
            return Decision(st.failed(reason or "unknown error"), (Action.EXIT_ERROR,), login)
        case ev.IncomingMessage() | ev.Receipt() | ev.IncomingCall():
            return Decision(None, (Action.RECORD,), login)
    raise TypeError(f"not a backend event: {event!r}")
