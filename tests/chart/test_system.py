"""The whole product through its chart: helm install → Start → QR → scan → CONNECTED → sendText →
webhook received → upgrade → Close → uninstall.

Everything is real: the chart's operator and API pods (under the chart's own
ServiceAccounts and RBAC), a session pod, the simulator, and the API reached
the way a user reaches it, through its NodePort Service.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from mywhatsapp.common import crd, names
from tests.chart.chart import CHART, helm
from tests.kube import Cluster, wait_for

pytestmark = pytest.mark.cluster
RELEASE = "e2e"
API = f"app.kubernetes.io/name=mywhatsapp-api,app.kubernetes.io/instance={RELEASE}"
OPERATOR = f"app.kubernetes.io/name=mywhatsapp-operator,app.kubernetes.io/instance={RELEASE}"
SESSION = "mywhatsapp.io/session"


@pytest.fixture
def installed(cluster: Cluster, namespace: str, simulator: str) -> Iterator[dict[str, Any]]:
    if cluster.local is None:
        pytest.skip("reaches the API on the local cluster's node address")
    node_port = 30000 + int.from_bytes(os.urandom(2), "big") % 2000
    sets = {"image.tag": "test", "operator.session.backend": "simulated", "api.defaultBackend": "simulated",
            "operator.session.simulatorUrl": simulator, "operator.session.webhookAllowPrivate": "true",
            "api.service.type": "NodePort",
            "api.service.nodePort": str(node_port)}
    args = [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    helm("install", RELEASE, str(CHART), "--namespace", namespace, "--wait", "--timeout", "180s", *args,
         kubeconfig=cluster.kubeconfig)
    secret = cluster.get(f"/api/v1/namespaces/{namespace}/secrets/{RELEASE}-mywhatsapp-api")
    key = base64.b64decode(secret["data"]["SECRET_KEY"]).decode()
    url = f"http://{cluster.local.node_address}:{node_port}"
    with httpx.Client(base_url=url, headers={"AuthorizationToken": key}, timeout=15) as api:
        wait_for(lambda: _ok(api, "/readyz"), what="the API through its NodePort")
        try:
            yield {"api": api, "namespace": namespace}
        finally:
            helm("uninstall", RELEASE, "--namespace", namespace, "--wait", kubeconfig=cluster.kubeconfig, check=False)
            _release_sessions(cluster, namespace)


def _ok(api: httpx.Client, path: str) -> bool:
    try:
        return api.get(path).status_code == 200
    except httpx.HTTPError:
        return False


def _release_sessions(cluster: Cluster, namespace: str) -> None:
    """After uninstall no operator removes finalizers: do it so the namespace can go."""
    path = f"/apis/mywhatsapp.io/v1alpha1/namespaces/{namespace}/whatsappsessions"
    for item in (cluster.get(path) or {}).get("items", []):
        cluster.api.merge_patch(f"{path}/{item['metadata']['name']}", {"metadata": {"finalizers": None}})


def post(api: httpx.Client, route: str, *, session: str = "Teste", prefix: str = "/sistema",
         **body: Any) -> tuple[int, dict[str, Any]]:
    resp = api.post(f"{prefix}/{route}", json={"SessionName": session, **body})
    return resp.status_code, resp.json()["Status"]


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A webhook receiver on this machine: (URL, received (headers, body) pairs)."""
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            got.append(({k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(int(self.headers.get("Content-Length") or 0))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/message", got
    finally:
        server.shutdown()
        server.server_close()


def connect(api: httpx.Client, simulator: str, session: str, phone: str) -> None:
    def qr() -> dict[str, Any] | None:
        code, st = post(api, "QRCode", session=session, View=False)
        return st if code == 200 and st.get("urlCode") else None

    shown = wait_for(qr, what=f"a QR code of {session} from the API", timeout=90)
    assert shown["qrcode"].startswith("data:image/png;base64,") and shown["state"] == "QRCODE"
    scan = httpx.post(f"{simulator}/phones/{phone}/scan", json={"qr": shown["urlCode"]}, timeout=10)
    assert scan.status_code == 200, scan.text
    connected = wait_for(lambda: (r := post(api, "Status", session=session))[0] == 200
                         and r[1]["state"] == "CONNECTED" and r[1], what=f"{session} CONNECTED through the API")
    assert connected["status"] == "inChat"


def test_install_start_scan_send_webhook_upgrade_close_uninstall(
        cluster: Cluster, installed: dict[str, Any], simulator: str,
        receiver: tuple[str, list[tuple[dict[str, str], bytes]]]) -> None:
    api, ns = installed["api"], installed["namespace"]
    hook_url, received = receiver
    code, st = post(api, "Start")
    assert (code, st["state"], st["status"]) == (201, "STARTING", "notLogged")
    connect(api, simulator, "Teste", "5511977770001")
    # A second session whose message webhook points at our receiver.
    code, _ = post(api, "Start", session="Outro", wh_message=hook_url)
    assert code == 201
    connect(api, simulator, "Outro", "5511977770002")

    code, st = post(api, "sendText", prefix="/message", phonefull="+55 11 97777-0002", msg="olá, Outro")
    assert code == 200 and st["msgID"], st
    headers, raw = wait_for(lambda: next(((h, b) for h, b in received
                                          if json.loads(b).get("wook") == "RECEIVE_MESSAGE"), None),
                            what="the RECEIVE_MESSAGE webhook", timeout=60)
    payload = json.loads(raw)
    assert payload["SessionName"] == "Outro" and payload["content"] == "olá, Outro"
    assert payload["from"].startswith("5511977770001")
    secret = cluster.get(f"/api/v1/namespaces/{ns}/secrets/{names.secret_name(names.cr_name_for('Outro'))}")
    key = base64.b64decode(secret["data"][crd.SECRET_KEY_WEBHOOK_SIGNING])
    expected = "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-mywhatsapp-signature"], expected)

    session_pod = cluster.pods(ns, f"{SESSION}=teste-hrhzqqiimpr")[0]
    old = {sel: {p["metadata"]["uid"] for p in cluster.pods(ns, sel)} for sel in (API, OPERATOR)}

    # A value change rolls the operator and the API, not the connected session.
    helm("upgrade", RELEASE, str(CHART), "--namespace", ns, "--reuse-values", "--set", "api.concurrency=7",
         "--set", "operator.logLevel=DEBUG", "--wait", "--timeout", "180s", kubeconfig=cluster.kubeconfig)
    for sel in (API, OPERATOR):
        wait_for(lambda sel=sel: (uids := {p["metadata"]["uid"] for p in cluster.pods(ns, sel)})
                 and not uids & old[sel], what=f"{sel} to roll")
    assert [p["metadata"]["uid"] for p in cluster.pods(ns, f"{SESSION}=teste-hrhzqqiimpr")] == [
        session_pod["metadata"]["uid"]]
    st = wait_for(lambda: (r := post(api, "Status"))[0] == 200 and r[1], what="the new API to answer")
    assert st["state"] == "CONNECTED"

    code, st = post(api, "Close")
    assert (code, st["message"]) == (200, "Sessão fechada com sucesso")
    wait_for(lambda: not cluster.pods(ns, f"{SESSION}=teste-hrhzqqiimpr"), what="the session pod to stop")
    closed = wait_for(lambda: (r := post(api, "Status"))[1]["state"] == "CLOSE" and r[1], what="CLOSE")
    assert closed["status"] == "browserClose"

    helm("uninstall", RELEASE, "--namespace", ns, "--wait", kubeconfig=cluster.kubeconfig)
    wait_for(lambda: not cluster.pods(ns, API) and not cluster.pods(ns, OPERATOR), what="the release's pods to go")
    # As documented: the CRD and the sessions (with their volumes) outlive the release.
    assert cluster.get(f"/apis/mywhatsapp.io/v1alpha1/namespaces/{ns}/whatsappsessions/teste-hrhzqqiimpr")
    assert cluster.get(f"/api/v1/namespaces/{ns}/persistentvolumeclaims/state-teste-hrhzqqiimpr-0")
