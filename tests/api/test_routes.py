"""The seed's session routes against an in-memory cluster (no API server needed)."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import zxingcpp
from PIL import Image

from mywhatsapp.api.tokens import TokenRow
from mywhatsapp.common import crd, names
from tests.api.helpers import ADMIN, NAMESPACE, fake_app, fake_pod, secret_data

MALFORMED = "Json gerado de forma incorreta, efetue a correção e tente novamente"
README_HEADERS = {"Accept": "application/json", "Content-Type": "application/json", "AuthorizationToken": ""}


def test_seed_readme_fetch_examples() -> None:
    headers = {**README_HEADERS, "AuthorizationToken": ADMIN["AuthorizationToken"]}
    with fake_app() as fa:
        # 1. Start, exactly as the README's fetch.
        r = fa.client.post("/sistema/Start", content=b'{"SessionName":"Teste"}', headers=headers)
        assert r.status_code == 201
        assert r.json() == {"Status": {"error": False, "statusCode": 201, "state": "STARTING",
                                       "status": "notLogged", "message": "Iniciando WhatsApp. Aguarde..."}}
        cr = fa.kube.get(fa.path(names.cr_name_for("Teste")))
        assert cr["spec"]["sessionName"] == "Teste"
        assert cr["metadata"]["annotations"][crd.ANNOTATION_SESSION_NAME] == "Teste"
        # 2. QRCode as printed (missing comma): the seed's malformed-JSON answer, not a 500.
        printed = b'{"SessionName": "Teste"\n\t\t"View": false,\n  }'
        r = fa.client.post("/sistema/QRCode", content=printed, headers=headers)
        assert (r.status_code, r.json()["Status"]["message"]) == (404, MALFORMED)
        # ... and corrected, once the pod shows a QR code.
        fa.set_status("Teste", {"state": "QRCODE", "status": "qrRead", "qr": {"code": "2@raw-code,abc", "attempt": 1}})
        r = fa.client.post("/sistema/QRCode", content=b'{"SessionName": "Teste", "View": false}', headers=headers)
        body = r.json()["Status"]
        assert r.status_code == 200 and body["state"] == "QRCODE" and body["urlCode"] == "2@raw-code,abc"
        assert body["message"] == "Aguardando leitura do QR-Code"
        import base64
        png = base64.b64decode(body["qrcode"].removeprefix("data:image/png;base64,"))
        assert [d.text for d in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == ["2@raw-code,abc"]
        # 3. Close.
        r = fa.client.post("/sistema/Close", content=b'{"SessionName":"Teste"}', headers=headers)
        assert r.status_code == 200 and r.json()["Status"]["message"] == "Sessão fechada com sucesso"
        assert fa.kube.get(fa.path(names.cr_name_for("Teste")))["spec"]["running"] is False


def test_paths_case_insensitive_and_unknown() -> None:
    with fake_app() as fa:
        assert fa.post("/instance/getHardware", {}).status_code == 200
        assert fa.post("/SISTEMA/gethardware/", {}).status_code == 200
        r = fa.post("/instance/nothing", {})
        assert r.status_code == 404
        assert r.json()["Status"]["message"] == "INSTACE: Não foi possivel executar a ação, verifique a url informada."
        assert fa.post("/sistema/nothing", {}).json()["Status"]["message"].startswith("SISTEMA: ")
        assert fa.client.get("/instance/Status").status_code == 404
        assert fa.client.get("/healthz").status_code == 200
        assert "mywhatsapp_api_requests" in fa.client.get("/metrics").text
        page = fa.client.get("/api-docs").text
        assert "swagger" in page.lower() and "cdn" not in page.lower()  # no CDN: works offline
        assert fa.client.get("/api-docs/assets/swagger-ui-bundle.js").status_code == 200
        assert "/sistema/Start" in fa.client.get("/openapi.json").json()["paths"]


def test_auth_errors() -> None:
    with fake_app() as fa:
        r = fa.post("/sistema/Status", {"SessionName": "x"}, headers={})
        assert (r.status_code, r.json()["Status"]["message"]) == (401, "Token não informado, verifique e tente novamente")
        r = fa.post("/sistema/Status", {"SessionName": "x"}, headers={"AuthorizationToken": "wrong"})
        assert (r.status_code, r.json()["Status"]["message"]) == (403, "Token invalido, verifique e tente novamente")


@pytest.mark.parametrize("name", ["../x", "", "a" * 300, "sessão", "a/b", " Teste", 12])
def test_bad_session_names_are_refused_and_nothing_is_created(name: object) -> None:
    with fake_app() as fa:
        for route in ("Start", "Status", "QRCode", "Close", "getSession"):
            r = fa.post(f"/instance/{route}", {"SessionName": name, "View": False})
            assert r.status_code == 400, (route, r.text)
            assert "SessionName" in r.json()["Status"]["message"]
        assert fa.kube.objects == {}
        r = fa.post("/instance/Start", {})
        assert r.status_code == 400 and "preenchidos" in r.json()["Status"]["message"]


def test_bodies_urlencoded_and_multipart() -> None:
    with fake_app() as fa:
        r = fa.client.post("/instance/Start", data={"SessionName": "form1"}, headers=ADMIN)
        assert r.status_code == 201
        r = fa.client.post("/instance/Start", files={"SessionName": (None, "multi1")}, headers=ADMIN)
        assert r.status_code == 201
        fa.set_status("form1", {"state": "QRCODE", "status": "qrRead", "qr": {"code": "abc"}})
        r = fa.client.post("/instance/QRCode", data={"SessionName": "form1", "View": "true"}, headers=ADMIN)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content.startswith(b"\x89PNG")
        for view in ("abc", None):
            r = fa.post("/instance/QRCode", {"SessionName": "form1", **({"View": view} if view else {})})
            assert r.status_code == 400 and "View" in r.json()["Status"]["message"]
        assert fa.post("/instance/QRCode", {"SessionName": "form1", "View": "true"}).status_code == 400


def test_status_transitions_and_start_decisions() -> None:
    with fake_app() as fa:
        assert fa.post("/instance/Status", {"SessionName": "s1"}).json()["Status"]["state"] == "NOTFOUND"
        assert fa.post("/instance/Start", {"SessionName": "s1", "wh_connect": "https://hooks.example/c",
                                           "setOnline": True}).status_code == 201
        cr = fa.kube.get(fa.path("s1"))
        assert cr["spec"]["webhooks"] == {"connect": "https://hooks.example/c"}
        assert fa.post("/instance/Status", {"SessionName": "s1"}).status_code == 202
        fa.set_status("s1", {"state": "CONNECTED", "status": "inChat", "phone": "5511999998888"})
        r = fa.post("/instance/Start", {"SessionName": "s1"})
        assert (r.status_code, r.json()["Status"]["state"]) == (200, "CONNECTED")
        r = fa.post("/instance/QRCode", {"SessionName": "s1", "View": False})
        assert (r.status_code, r.json()["Status"]["status"]) == (200, "inChat")
        fa.set_status("s1", {"state": "BANNED", "status": "isBanned"})
        assert fa.post("/instance/Status", {"SessionName": "s1"}).status_code == 403
        fa.set_status("s1", {"state": "X", "status": "somethingNew"})
        r = fa.post("/instance/Start", {"SessionName": "s1"})
        assert (r.status_code, r.json()["Status"]["status"]) == (500, "isError")
        fa.set_status("s1", {"state": "DISCONNECTED", "status": "notLogged"})
        r = fa.post("/instance/QRCode", {"SessionName": "s1", "View": False})
        assert (r.status_code, r.json()["Status"]["message"]) == (401, "Não foi possivel executar a ação, inicie o sistema")
        assert fa.post("/instance/Start", {"SessionName": "s1"}).status_code == 201
        session = fa.post("/instance/getSession", {"SessionName": "s1"}).json()["Status"]["session"]
        assert session["SessionName"] == "s1" and session["wh_connect"] == "https://hooks.example/c"
        assert fa.post("/instance/Start", {"SessionName": "s2", "wh_qrcode": "ftp://x"}).status_code == 400
        assert fa.post("/instance/getSession", {"SessionName": "s2"}).json()["Status"]["error"] is True


def test_concurrent_starts_make_one_session() -> None:
    with fake_app() as fa:
        def start(_: int) -> int:
            return fa.post("/instance/Start", {"SessionName": "race"}).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(start, range(8)))
        assert all(code in (201, 202) for code in codes), codes
        assert [p for p in fa.kube.objects if p.endswith("/race")] == [fa.path("race")]


def test_close_is_idempotent_and_missing_session_answers() -> None:
    with fake_app() as fa:
        assert fa.post("/instance/Close", {"SessionName": "nope"}).status_code == 404
        assert fa.post("/instance/getAllSessions", {}).json()["Status"]["message"] == "Nenhuma sessão criada"
        fa.post("/instance/Start", {"SessionName": "c1"})
        for _ in range(2):
            assert fa.post("/instance/Close", {"SessionName": "c1"}).status_code == 200
        r = fa.post("/instance/Status", {"SessionName": "c1"})
        assert (r.status_code, r.json()["Status"]["state"]) == (200, "CLOSE")
        assert fa.post("/instance/Start", {"SessionName": "c1"}).status_code == 201
        assert fa.kube.get(fa.path("c1"))["spec"]["running"] is True


def test_pod_calls_logout_restart_and_pairing() -> None:
    with fake_app() as fa, fake_pod("internal-secret") as pod:
        fa.post("/instance/Start", {"SessionName": "p1"})
        fa.kube.put_secret(NAMESPACE, names.secret_name("p1"), secret_data("internal-secret"))
        r = fa.post("/instance/Logout", {"SessionName": "p1"})
        assert r.status_code == 400  # not connected
        fa.set_status("p1", {"state": "QRCODE", "status": "qrRead", "endpoint": pod.endpoint})
        r = fa.post("/instance/getCodePairing", {"SessionName": "p1", "phonefull": "+55 (11) 99999-8888"})
        assert r.status_code == 200 and r.json()["Status"]["pairingCode"] == "ABCD-EFGH"
        assert fa.kube.get(fa.path("p1"))["spec"]["pairingPhone"] == "5511999998888"
        assert fa.post("/instance/getCodePairing", {"SessionName": "p1", "phonefull": "12"}).status_code == 400
        assert fa.post("/instance/restartToken", {"SessionName": "p1"}).status_code == 200
        fa.set_status("p1", {"state": "CONNECTED", "status": "inChat"})
        r = fa.post("/instance/Logout", {"SessionName": "p1"})
        assert (r.status_code, r.json()["Status"]["message"]) == (200, "Sessão desconetada com sucesso")
        assert [c[0] for c in pod.calls] == ["/v1/pair", "/v1/restart", "/v1/logout"]
        assert pod.calls[0][1] == {"phone": "5511999998888"}
        assert fa.post("/instance/restartToken", {"SessionName": "ghost"}).json()["Status"]["message"] == "Sistema Off-line"


def test_token_a_cannot_see_token_b_sessions() -> None:
    rows = {t: TokenRow(t, "1", date.today() + timedelta(days=30)) for t in ("TOKEN-A-123", "TOKEN-B-456")}
    with fake_app(lambda _s, token: rows.get(token)) as fa:
        a = {"AuthorizationToken": "TOKEN-A-123"}
        b = {"AuthorizationToken": "TOKEN-B-456"}
        assert fa.post("/sistema/Start", {"SessionName": "mine"}, headers=a).status_code == 201
        owner = fa.kube.get(fa.path("mine"))["metadata"]["annotations"]["mywhatsapp.io/owner-sha256"]
        assert len(owner) == 64 and "TOKEN-A" not in str(fa.kube.objects)
        for route, body in [("Status", {}), ("QRCode", {"View": False}), ("Close", {}), ("Logout", {}),
                            ("restartToken", {}), ("getSession", {})]:
            theirs = fa.post(f"/sistema/{route}", {"SessionName": "mine", **body}, headers=b)
            missing = fa.post(f"/sistema/{route}", {"SessionName": "absent", **body}, headers=b)
            assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json()), route
        assert fa.kube.get(fa.path("mine"))["spec"]["running"] is True  # B's Close did nothing
        assert fa.post("/sistema/getAllSessions", {}, headers=b).status_code == 400
        assert len(fa.post("/sistema/getAllSessions", {}, headers=a).json()["Status"]["session"]) == 1
        assert len(fa.post("/sistema/getAllSessions", {}).json()["Status"]["session"]) == 1  # admin
        assert fa.post("/sistema/Start", {"SessionName": "mine"}, headers=b).status_code == 409
        assert fa.post("/sistema/Status", {"SessionName": "mine"}, headers={"AuthorizationToken": "nobody"}).status_code == 404


def test_send_text_goes_to_the_pod_after_a_number_check() -> None:
    with fake_app() as fa, fake_pod("internal-secret") as pod:
        fa.post("/instance/Start", {"SessionName": "s1"})
        fa.kube.put_secret(NAMESPACE, names.secret_name("s1"), secret_data("internal-secret"))
        body = {"SessionName": "s1", "phonefull": "+55 (11) 98888-7777", "msg": "olá"}
        assert fa.post("/message/sendText", body).status_code == 400  # not connected yet
        fa.set_status("s1", {"state": "CONNECTED", "status": "inChat", "endpoint": pod.endpoint})
        r = fa.post("/message/sendText", body)
        assert r.status_code == 200, r.text
        assert r.json()["Status"] == {"error": False, "statusCode": 200, "msgID": "MSG2", "number": "5511988887777",
                                      "message": "Mensagem enviada com sucesso"}
        assert pod.calls[-1] == ("/v1/messages/text", {"to": "5511988887777", "text": "olá"})
        r = fa.post("/message/sendText", {**body, "phonefull": "5511900000000"})
        assert (r.status_code, r.json()["Status"]["message"]) == (
            400, "O número informado não pode receber mensagens via whatsapp")
        assert fa.post("/message/sendText", {"SessionName": "s1", "phonefull": "5511988887777"}).status_code == 400
        assert fa.post("/message/nothing", body).json()["Status"]["message"].startswith("MESSAGE: ")
