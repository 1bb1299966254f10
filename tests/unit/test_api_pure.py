"""Pure parts of the API facade: settings, bodies, tokens, paths, session view, QR."""

from __future__ import annotations

import io
from datetime import date

import pytest
import zxingcpp
from PIL import Image
from pydantic import ValidationError

from mywhatsapp.api import qr, sessionview
from mywhatsapp.api.bodies import parse_body
from mywhatsapp.api.envelope import SeedError
from mywhatsapp.api.paths import not_found_body, prefix_for
from mywhatsapp.api.settings import Settings
from mywhatsapp.api.tokens import TokenRow, check_row, clean_header, is_active, is_admin_key, owner_id

GOOD_KEY = "k3y-that-is-long-enough-0123"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("SECRET_KEY", "ENVIRONMENT", "VALIDATE_MYSQL", "MYSQL_USER", "MYSQL_TIMEZONE"):
        monkeypatch.delenv(key, raising=False)


@pytest.mark.parametrize("key", ["", "   ", "kgashjgajbug$$jgbbjgkbkgk", "short"])
def test_insecure_secret_key_refused_outside_development(key: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(secret_key=key)
    assert Settings(secret_key=key, environment="development").environment == "development"


def test_seed_env_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("VALIDATE_MYSQL", "1")
    monkeypatch.setenv("MYSQL_USER", "mywhatsappapi")
    monkeypatch.setenv("MYSQL_TIMEZONE", "-04:00")
    monkeypatch.setenv("PORT", "9009")
    settings = Settings()
    assert settings.validate_mysql is True
    assert settings.mysql_user == "mywhatsappapi"
    assert settings.mysql_tz().utcoffset(None).total_seconds() == -4 * 3600  # type: ignore[union-attr]
    assert settings.port == 9009


def test_mysql_needs_a_user_in_production() -> None:
    with pytest.raises(ValidationError, match="MYSQL_USER"):
        Settings(secret_key=GOOD_KEY, validate_mysql=True)


def test_bodies() -> None:
    assert parse_body(b'{"SessionName":"Teste","View":false}', "application/json").fields == {
        "SessionName": "Teste", "View": False}
    assert parse_body(b"", "application/json").fields == {}
    assert parse_body(b"[1,2]", "application/json").fields == {}
    form = parse_body(b"SessionName=Teste&View=true", "application/x-www-form-urlencoded")
    assert form.fields == {"SessionName": "Teste", "View": "true"} and form.from_form
    with pytest.raises(SeedError) as info:
        parse_body(b'{"SessionName": "Teste"\n "View": false}', "application/json; charset=utf-8")
    assert info.value.status_code == 404
    assert info.value.message == "Json gerado de forma incorreta, efetue a correção e tente novamente"


def test_token_rules() -> None:
    today = date(2026, 3, 10)
    row = TokenRow("TOKEN-A", "1", date(2026, 3, 10))
    check_row("TOKEN-A", row, today=today)  # last valid day
    for active in ("false", "0", "", "no", None, "nao"):
        assert not is_active(active)
    assert is_active("1") and is_active("true") and is_active(" TRUE ")
    cases = [
        (None, 404), (TokenRow("token-a", "1", today), 404),  # case-insensitive collation is not enough
        (TokenRow("TOKEN-A", "false", today), 401), (TokenRow("TOKEN-A", "1", date(2026, 3, 9)), 408),
        (TokenRow("TOKEN-A", "true", "garbage"), 408),
    ]
    for candidate, code in cases:
        with pytest.raises(SeedError) as info:
            check_row("TOKEN-A", candidate, today=today)
        assert info.value.status_code == code, candidate
    assert is_admin_key(GOOD_KEY, GOOD_KEY) and not is_admin_key(GOOD_KEY + "x", GOOD_KEY)
    assert not is_admin_key("", "")
    assert owner_id("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert clean_header(" a b\n") == "ab"


def test_unknown_path_prefixes() -> None:
    assert prefix_for("/instance/nope") == "INSTACE"
    assert prefix_for("/Sistema/x") == "SISTEMA"
    assert prefix_for("/other") == "SERVER"
    assert not_found_body("/message/x")["Status"]["message"].startswith("MESSAGE: ")


def test_effective_status() -> None:
    assert sessionview.effective_status(None) is None
    assert sessionview.effective_status({"spec": {"running": True}}) == "isStarting"
    assert sessionview.effective_status({"spec": {"running": False}, "status": {"status": "inChat"}}) == "browserClose"
    assert sessionview.effective_status({"spec": {"running": False}, "status": {"status": "notLogged"}}) == "notLogged"
    code, fields = sessionview.status_fields({"spec": {}, "status": {"status": "qrRead"}})
    assert (code, fields["state"], fields["error"]) == (202, "QRCODE", False)


def test_webhooks_from_body() -> None:
    hooks = sessionview.webhooks_from_body({"wh_status": "https://a/x", "wh_connect": "", "wh_incomingcall": "http://b"})
    assert hooks == {"status": "https://a/x", "incomingCall": "http://b"}
    with pytest.raises(SeedError, match="wh_message"):
        sessionview.webhooks_from_body({"wh_message": "file:///etc/passwd"})


def test_qr_png_decodes_back_and_is_cached() -> None:
    code = "2@AbCdEf0123456789+/==,XyZ,abc,def"
    first = qr.png(code)
    assert qr.png(code) is first
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(first)))
    assert [d.text for d in decoded] == [code]
    assert qr.data_url(code).startswith("data:image/png;base64,")
