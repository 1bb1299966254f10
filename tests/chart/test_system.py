"""The whole product through its chart: helm install → Start → QR → scan → CONNECTED → upgrade → Close → uninstall.

Everything is real: the chart's operator and API pods (under the chart's own
ServiceAccounts and RBAC), a session pod, the simulator, and the API reached
the way a user reaches it, through its NodePort Service.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

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
            "operator.session.simulatorUrl": simulator, "api.service.type": "NodePort",
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


def post(api: httpx.Client, route: str, **body: Any) -> tuple[int, dict[str, Any]]:
    resp = api.post(f"/sistema/{route}", json={"SessionName": "Teste", **body})
    return resp.status_code, resp.json()["Status"]


def test_install_start_scan_upgrade_close_uninstall(cluster: Cluster, installed: dict[str, Any],
                                                    simulator: str) -> None:
    api, ns = installed["api"], installed["namespace"]
    code, st = post(api, "Start")
    assert (code, st["state"], st["status"]) == (201, "STARTING", "notLogged")

    def qr() -> dict[str, Any] | None:
        code, st = post(api, "QRCode", View=False)
        return st if code == 200 and st.get("urlCode") else None

    shown = wait_for(qr, what="a QR code from the API", timeout=90)
    assert shown["qrcode"].startswith("data:image/png;base64,") and shown["state"] == "QRCODE"
    scan = httpx.post(f"{simulator}/phones/5511977770001/scan", json={"qr": shown["urlCode"]}, timeout=10)
    assert scan.status_code == 200, scan.text
    connected = wait_for(lambda: (r := post(api, "Status"))[0] == 200 and r[1]["state"] == "CONNECTED" and r[1],
                         what="CONNECTED through the API")
    assert connected["status"] == "inChat"
    session_pod = cluster.pods(ns, SESSION)[0]
    old = {sel: {p["metadata"]["uid"] for p in cluster.pods(ns, sel)} for sel in (API, OPERATOR)}

    # A value change rolls the operator and the API, not the connected session.
    helm("upgrade", RELEASE, str(CHART), "--namespace", ns, "--reuse-values", "--set", "api.concurrency=7",
         "--set", "operator.logLevel=DEBUG", "--wait", "--timeout", "180s", kubeconfig=cluster.kubeconfig)
    for sel in (API, OPERATOR):
        wait_for(lambda sel=sel: (uids := {p["metadata"]["uid"] for p in cluster.pods(ns, sel)})
                 and not uids & old[sel], what=f"{sel} to roll")
    assert [p["metadata"]["uid"] for p in cluster.pods(ns, SESSION)] == [session_pod["metadata"]["uid"]]
    st = wait_for(lambda: (r := post(api, "Status"))[0] == 200 and r[1], what="the new API to answer")
    assert st["state"] == "CONNECTED"

    code, st = post(api, "Close")
    assert (code, st["message"]) == (200, "Sessão fechada com sucesso")
    wait_for(lambda: not cluster.pods(ns, SESSION), what="the session pod to stop")
    closed = wait_for(lambda: (r := post(api, "Status"))[1]["state"] == "CLOSE" and r[1], what="CLOSE")
    assert closed["status"] == "browserClose"

    helm("uninstall", RELEASE, "--namespace", ns, "--wait", kubeconfig=cluster.kubeconfig)
    wait_for(lambda: not cluster.pods(ns, API) and not cluster.pods(ns, OPERATOR), what="the release's pods to go")
    # As documented: the CRD and the sessions (with their volumes) outlive the release.
    assert cluster.get(f"/apis/mywhatsapp.io/v1alpha1/namespaces/{ns}/whatsappsessions/teste-hrhzqqiimpr")
    assert cluster.get(f"/api/v1/namespaces/{ns}/persistentvolumeclaims/state-teste-hrhzqqiimpr-0")
