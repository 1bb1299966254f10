"""The seed's /Status mapping and Start sets (mywhatsapp.common.vocabulary)."""

from __future__ import annotations

import pytest

from mywhatsapp.common import vocabulary as v
from mywhatsapp.common.vocabulary import StartAction, status_reply

# The "/Status mapping" table of seed-api.md §2, with the seed's pt_Br messages.
# (status, state, HTTP, error, reported status, message)
TABLE = [
    ("isStarting", "STARTING", 202, False, "isStarting", "Sistema iniciando. Aguarde..."),
    (
        "isConnecting",
        "CONNECTING",
        202,
        False,
        "isConnecting",
        "Dispositivo conectando. Aguarde...",
    ),
    ("qrRead", "QRCODE", 202, False, "qrRead", "Sistema aguardando leitura do QR-Code"),
    ("getCode", "GETCODE", 202, False, "getCode", "Sistema aguardando o código de pareamento"),
    ("inChat", "CONNECTED", 200, False, "inChat", "Sistema iniciado e disponivel para uso"),
    ("isLogged", "CONNECTED", 200, False, "isLogged", "Sistema iniciado e disponivel para uso"),
    (
        "qrReadSuccess",
        "CONNECTED",
        200,
        False,
        "qrReadSuccess",
        "Verificação do QR-Code feita com sucesso",
    ),
    (
        "chatsAvailable",
        "CONNECTED",
        200,
        False,
        "chatsAvailable",
        "Sistema iniciado e disponivel para uso",
    ),
    ("notLogged", "DISCONNECTED", 401, True, "notLogged", "Dispositivo desconectado"),
    ("desconnectedMobile", "DISCONNECTED", 401, True, "notLogged", "Dispositivo desconectado"),
    ("deviceNotConnected", "DISCONNECTED", 401, True, "notLogged", "Dispositivo desconectado"),
    ("browserClose", "CLOSE", 200, True, "browserClose", "Navegador fechado"),
    (
        "autocloseCalled",
        "CLOSE",
        200,
        True,
        "autocloseCalled",
        "Navegador fechado automaticamente",
    ),
    ("deleteToken", "DISCONNECTED", 200, True, "deleteToken", "Token de sessão removido"),
    ("qrReadFail", "DISCONNECTED", 400, True, "qrReadFail", "Falha na verificação do QR-Code"),
    (
        "noOpenBrowser",
        "DISCONNECTED",
        400,
        True,
        "noOpenBrowser",
        "Não foi encontrado o navegador ou falta algum comando no args",
    ),
    (
        "serverWssNotConnected",
        "DISCONNECTED",
        404,
        True,
        "serverWssNotConnected",
        "O endereço wss não foi encontrado",
    ),
    ("serverClose", "DISCONNECTED", 401, True, "serverClose", "O cliente se desconectou do wss"),
    (
        "isBanned",
        "BANNED",
        403,
        True,
        "isBanned",
        "Usuario banido, entre em contato com suporte do whatsapp",
    ),
    (
        "isError",
        "ERROR",
        500,
        True,
        "isError",
        "Não foi possivel executar a ação, verifique e tente novamente.",
    ),
    ("notFound", "NOTFOUND", 404, True, "notFound", "Sistema Off-line, inicie o sistemas"),
    (None, "NOTFOUND", 404, True, "notFound", "Sistema Off-line, inicie o sistemas"),
    ("", "NOTFOUND", 404, True, "notFound", "Sistema Off-line, inicie o sistemas"),
    ("somethingElse", "NOTFOUND", 404, True, "notFound", "Sistema Off-line, inicie o sistemas"),
    ("INCHAT", "NOTFOUND", 404, True, "notFound", "Sistema Off-line, inicie o sistemas"),
]


@pytest.mark.parametrize(("status", "state", "code", "error", "reported", "message"), TABLE)
def test_status_reply(
    status: str | None, state: str, code: int, error: bool, reported: str, message: str
) -> None:
    assert status_reply(status) == (state, code, error, message)
    assert v.reported_status(status) == reported


def test_reply_fields_are_plain_strings() -> None:
    reply = status_reply("inChat")
    assert reply.state == "CONNECTED" and isinstance(reply.state, str)
    assert reply.http_code == 200 and reply.error is False


def test_every_status_is_in_the_table() -> None:
    covered = {row[0] for row in TABLE}
    assert {s.value for s in v.Status} <= covered


def test_connected_set() -> None:
    assert v.CONNECTED == {"inChat", "qrReadSuccess", "isLogged", "chatsAvailable"}
    for status in v.Status:
        assert v.is_connected(status) is (status in v.CONNECTED)
    assert v.is_connected(None) is False


def test_start_sets_match_the_seed() -> None:
    assert v.ALREADY_UP == {
        "inChat",
        "qrReadSuccess",
        "isLogged",
        "chatsAvailable",
        "qrRead",
        "getCode",
    }
    assert v.STOPPED == {
        "notLogged",
        "deviceNotConnected",
        "desconnectedMobile",
        "qrReadFail",
        "deleteToken",
        "browserClose",
        "autocloseCalled",
        "serverClose",
        "serverWssNotConnected",
        "notFound",
    }
    assert not v.ALREADY_UP & v.STOPPED
    assert v.IN_PROGRESS == {"isStarting", "isConnecting"}


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("inChat", StartAction.REPLY_STATUS),
        ("qrRead", StartAction.REPLY_STATUS),
        ("getCode", StartAction.REPLY_STATUS),
        ("isStarting", StartAction.REPLY_STATUS),
        ("isConnecting", StartAction.REPLY_STATUS),
        ("notLogged", StartAction.START),
        ("browserClose", StartAction.START),
        ("notFound", StartAction.START),
        (None, StartAction.START),
        ("", StartAction.START),
        ("isBanned", StartAction.ERROR),
        ("isError", StartAction.ERROR),
        ("noOpenBrowser", StartAction.ERROR),
        ("garbage", StartAction.ERROR),
    ],
)
def test_start_action(status: str | None, action: StartAction) -> None:
    assert v.start_action(status) is action


def test_start_reply_constants() -> None:
    assert (
        v.START_REPLY_CODE,
        v.START_REPLY_STATE,
        v.START_REPLY_STATUS,
        v.START_REPLY_MESSAGE,
    ) == (201, "STARTING", "notLogged", "Iniciando WhatsApp. Aguarde...")


def test_phases_and_conditions() -> None:
    assert [p.value for p in v.Phase] == [
        "Pending",
        "Starting",
        "Running",
        "Stopped",
        "Failed",
        "Terminating",
    ]
    assert {c.value for c in v.ConditionType} == {"Reconciled", "Ready", "Connected"}
    assert {c.value for c in v.ConditionStatus} == {"True", "False", "Unknown"}
