"""The seed's session vocabulary and the operator's phases and conditions.

The session pod writes the seed's ``state``/``status`` strings into the CR
status; the facade turns a ``status`` into the seed's ``/Status`` reply with
``status_reply`` (the "/Status mapping" table of the seed, reproduced exactly,
with its Portuguese messages); Start decides what to do with
``start_action``. The operator's own view of the pod lives in ``Phase`` and
``ConditionType``. See ``docs/api-compatibility.md``, "State and status
vocabulary".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple


class State(StrEnum):
    """The seed's ``state`` values (upper case)."""

    STARTING = "STARTING"
    CONNECTING = "CONNECTING"
    QRCODE = "QRCODE"
    GETCODE = "GETCODE"
    CONNECTED = "CONNECTED"
    DISCONNECTED = "DISCONNECTED"
    CLOSE = "CLOSE"
    CLOSED = "CLOSED"
    BANNED = "BANNED"
    ERROR = "ERROR"
    NOTFOUND = "NOTFOUND"


class Status(StrEnum):
    """The seed's ``status`` values (camel case, spelling kept: ``desconnectedMobile``)."""

    IS_STARTING = "isStarting"
    IS_CONNECTING = "isConnecting"
    QR_READ = "qrRead"
    GET_CODE = "getCode"
    IN_CHAT = "inChat"
    IS_LOGGED = "isLogged"
    QR_READ_SUCCESS = "qrReadSuccess"
    CHATS_AVAILABLE = "chatsAvailable"
    NOT_LOGGED = "notLogged"
    DESCONNECTED_MOBILE = "desconnectedMobile"
    DEVICE_NOT_CONNECTED = "deviceNotConnected"
    BROWSER_CLOSE = "browserClose"
    AUTOCLOSE_CALLED = "autocloseCalled"
    DELETE_TOKEN = "deleteToken"
    QR_READ_FAIL = "qrReadFail"
    NO_OPEN_BROWSER = "noOpenBrowser"
    SERVER_WSS_NOT_CONNECTED = "serverWssNotConnected"
    SERVER_CLOSE = "serverClose"
    IS_BANNED = "isBanned"
    IS_ERROR = "isError"
    NOT_FOUND = "notFound"


#: "Connected" for every route that needs a live session (seed §1).
CONNECTED: Final = frozenset(
    {Status.IN_CHAT, Status.QR_READ_SUCCESS, Status.IS_LOGGED, Status.CHATS_AVAILABLE}
)
#: Start on these returns the current status (seed: "already up").
ALREADY_UP: Final = CONNECTED | {Status.QR_READ, Status.GET_CODE}
#: Start on these starts the session (seed: "stopped").
STOPPED: Final = frozenset(
    {
        Status.NOT_LOGGED,
        Status.DEVICE_NOT_CONNECTED,
        Status.DESCONNECTED_MOBILE,
        Status.QR_READ_FAIL,
        Status.DELETE_TOKEN,
        Status.BROWSER_CLOSE,
        Status.AUTOCLOSE_CALLED,
        Status.SERVER_CLOSE,
        Status.SERVER_WSS_NOT_CONNECTED,
        Status.NOT_FOUND,
    }
)
#: A start under way. The seed answered 500 here (they are in neither set);
#: ``start_action`` treats them as already up, so a second Start is harmless.
IN_PROGRESS: Final = frozenset({Status.IS_STARTING, Status.IS_CONNECTING})

#: The seed's immediate reply to a Start that starts the session (HTTP 201).
START_REPLY_CODE: Final = 201
START_REPLY_STATE: Final = State.STARTING
START_REPLY_STATUS: Final = Status.NOT_LOGGED
START_REPLY_MESSAGE: Final = "Iniciando WhatsApp. Aguarde..."

NOT_FOUND_MESSAGE: Final = "Sistema Off-line, inicie o sistemas"


class StatusReply(NamedTuple):
    """What ``/Status`` answers for one internal status."""

    state: State
    http_code: int
    error: bool
    message: str


_MESSAGES: Final[dict[Status, str]] = {
    Status.IS_STARTING: "Sistema iniciando. Aguarde...",
    Status.IS_CONNECTING: "Dispositivo conectando. Aguarde...",
    Status.QR_READ: "Sistema aguardando leitura do QR-Code",
    Status.GET_CODE: "Sistema aguardando o código de pareamento",
    Status.IN_CHAT: "Sistema iniciado e disponivel para uso",
    Status.IS_LOGGED: "Sistema iniciado e disponivel para uso",
    Status.QR_READ_SUCCESS: "Verificação do QR-Code feita com sucesso",
    Status.CHATS_AVAILABLE: "Sistema iniciado e disponivel para uso",
    Status.NOT_LOGGED: "Dispositivo desconectado",
    Status.BROWSER_CLOSE: "Navegador fechado",
    Status.AUTOCLOSE_CALLED: "Navegador fechado automaticamente",
    Status.DELETE_TOKEN: "Token de sessão removido",
    Status.QR_READ_FAIL: "Falha na verificação do QR-Code",
    Status.NO_OPEN_BROWSER: "Não foi encontrado o navegador ou falta algum comando no args",
    Status.SERVER_WSS_NOT_CONNECTED: "O endereço wss não foi encontrado",
    Status.SERVER_CLOSE: "O cliente se desconectou do wss",
    Status.IS_BANNED: "Usuario banido, entre em contato com suporte do whatsapp",
    Status.IS_ERROR: "Não foi possivel executar a ação, verifique e tente novamente.",
}

# status -> (state, HTTP code, error, status reported in the reply)
_TABLE: Final[dict[Status, tuple[State, int, bool, Status]]] = {
    Status.IS_STARTING: (State.STARTING, 202, False, Status.IS_STARTING),
    Status.IS_CONNECTING: (State.CONNECTING, 202, False, Status.IS_CONNECTING),
    Status.QR_READ: (State.QRCODE, 202, False, Status.QR_READ),
    Status.GET_CODE: (State.GETCODE, 202, False, Status.GET_CODE),
    Status.IN_CHAT: (State.CONNECTED, 200, False, Status.IN_CHAT),
    Status.IS_LOGGED: (State.CONNECTED, 200, False, Status.IS_LOGGED),
    Status.QR_READ_SUCCESS: (State.CONNECTED, 200, False, Status.QR_READ_SUCCESS),
    Status.CHATS_AVAILABLE: (State.CONNECTED, 200, False, Status.CHATS_AVAILABLE),
    Status.NOT_LOGGED: (State.DISCONNECTED, 401, True, Status.NOT_LOGGED),
    Status.DESCONNECTED_MOBILE: (State.DISCONNECTED, 401, True, Status.NOT_LOGGED),
    Status.DEVICE_NOT_CONNECTED: (State.DISCONNECTED, 401, True, Status.NOT_LOGGED),
    Status.BROWSER_CLOSE: (State.CLOSE, 200, True, Status.BROWSER_CLOSE),
    Status.AUTOCLOSE_CALLED: (State.CLOSE, 200, True, Status.AUTOCLOSE_CALLED),
    Status.DELETE_TOKEN: (State.DISCONNECTED, 200, True, Status.DELETE_TOKEN),
    Status.QR_READ_FAIL: (State.DISCONNECTED, 400, True, Status.QR_READ_FAIL),
    Status.NO_OPEN_BROWSER: (State.DISCONNECTED, 400, True, Status.NO_OPEN_BROWSER),
    Status.SERVER_WSS_NOT_CONNECTED: (
        State.DISCONNECTED,
        404,
        True,
        Status.SERVER_WSS_NOT_CONNECTED,
    ),
    Status.SERVER_CLOSE: (State.DISCONNECTED, 401, True, Status.SERVER_CLOSE),
    Status.IS_BANNED: (State.BANNED, 403, True, Status.IS_BANNED),
    Status.IS_ERROR: (State.ERROR, 500, True, Status.IS_ERROR),
}

_NOT_FOUND: Final = (State.NOTFOUND, 404, True, Status.NOT_FOUND)


def _parse(status: str | None) -> Status | None:
    try:
        return Status(status) if status is not None else None
    except ValueError:
        return None


def _row(status: str | None) -> tuple[State, int, bool, Status]:
    known = _parse(status)
    if known is None:
        return _NOT_FOUND
    return _TABLE.get(known, _NOT_FOUND)


def status_reply(status: str | None) -> StatusReply:
    """The seed's ``/Status`` answer for an internal status (``None`` = no session).

    Unknown statuses (and ``notFound``) give ``NOTFOUND``/404, as the seed's
    ``default`` branch does.
    """
    state, http_code, error, reported = _row(status)
    return StatusReply(state, http_code, error, _MESSAGES.get(reported, NOT_FOUND_MESSAGE))


def reported_status(status: str | None) -> Status:
    """The ``status`` string the ``/Status`` reply carries.

    The seed folds ``desconnectedMobile`` and ``deviceNotConnected`` into
    ``notLogged`` and anything unknown into ``notFound``; every other status is
    reported as is.
    """
    return _row(status)[3]


def is_connected(status: str | None) -> bool:
    """True if routes that need a live session may run (seed §1)."""
    return _parse(status) in CONNECTED


class StartAction(StrEnum):
    """What ``/Start`` does for the current status."""

    REPLY_STATUS = "reply-status"  # already up: answer with the current /Status
    START = "start"  # stopped or unknown session: start, answer 201 STARTING
    ERROR = "error"  # anything else: 500 ERROR/isError, as the seed


def start_action(status: str | None) -> StartAction:
    """Decide Start from the current status (``None`` or empty = no session/status yet)."""
    known = _parse(status) if status else Status.NOT_FOUND
    if known in ALREADY_UP or known in IN_PROGRESS:
        return StartAction.REPLY_STATUS
    if known in STOPPED:
        return StartAction.START
    return StartAction.ERROR


class Phase(StrEnum):
    """``status.phase``, written by the operator from the StatefulSet and pod."""

    PENDING = "Pending"  # accepted, owned objects not (all) made yet
    STARTING = "Starting"  # pod scheduled/starting, not ready yet
    RUNNING = "Running"  # pod ready
    STOPPED = "Stopped"  # spec.running is false; replicas 0, volume kept
    FAILED = "Failed"  # invalid spec or pod failing; see stoppedReason/conditions
    TERMINATING = "Terminating"  # deletion requested; logging out


class ConditionType(StrEnum):
    """``status.conditions[].type`` values, all written by the operator."""

    RECONCILED = "Reconciled"  # owned objects exist and match the spec
    READY = "Ready"  # the session pod is running and ready
    CONNECTED = "Connected"  # the pod reports a connected WhatsApp session


class ConditionStatus(StrEnum):
    """``status.conditions[].status`` values (metav1.Condition)."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"
