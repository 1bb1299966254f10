"""The facade on a real kube-apiserver: the CRD applied, real WhatsAppSession objects.

No operator runs here, so the tests patch the CR status themselves, as the
session pod would.
"""

from __future__ import annotations

import base64
import io
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from mywhatsapp.api.app import create_app
from mywhatsapp.common.kube_sync import KubeClient, load_configuration
from mywhatsapp.api.settings import Settings
from mywhatsapp.common import crd, names
from tests.api.conftest import ADMIN_KEY
from tests.api.helpers import ADMIN
from tests.api.server import serve
from tests.conftest import REPO
from tests.kube import Cluster, wait_for

pytestmark = pytest.mark.cluster


@dataclass
class Live:
    cluster: Cluster
    namespace: str
    client: httpx.Client
    app: Any
    url: str

    def path(self, session_name: str) -> str:
        return (f"/apis/{crd.GROUP}/{crd.VERSION}/namespaces/{self.namespace}/{crd.PLURAL}/"
                f"{names.cr_name_for(session_name)}")

    def pod_reports(self, session_name: str, status: dict[str, Any]) -> None:
        """Patch the status subresource as the session pod does; wait until the API shows it."""
        self.cluster.api.merge_patch(self.path(session_name) + "/status", {"status": status})

        def shown() -> bool:
            r = self.client.post("/sistema/Status", json={"SessionName": session_name}, headers=ADMIN)
            return r.json()["Status"]["status"] == status["status"]

        wait_for(shown, timeout=20, what=f"the API to report {status['status']}")


@pytest.fixture
def live(cluster: Cluster, namespace: str) -> Iterator[Live]:
    cluster.kubectl("apply", "-f", str(REPO / "crds"))
    cluster.kubectl("wait", "--for=condition=Established", f"crd/{crd.CRD_NAME}", "--timeout=60s")
    settings = Settings(secret_key=ADMIN_KEY, sessions_namespace=namespace)
    app = create_app(settings, KubeClient(load_configuration(cluster.kubeconfig)))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        wait_for(lambda: client.get("/readyz").status_code == 200, timeout=30, what="the API to be ready")
        yield Live(cluster, namespace, client, app, url)


def test_session_lifecycle_on_the_cluster(live: Live) -> None:
    r = live.client.post("/sistema/Start", json={"SessionName": "Teste", "wh_qrcode": "https://hooks.example/q"},
                         headers=ADMIN)
    assert r.status_code == 201, r.text
    cr = live.cluster.get(live.path("Teste"))
    assert cr is not None and cr["metadata"]["name"] == names.cr_name_for("Teste")
    assert cr["spec"]["sessionName"] == "Teste" and cr["spec"]["running"] is True
    assert cr["spec"]["webhooks"] == {"qrcode": "https://hooks.example/q"}
    assert cr["metadata"]["annotations"][crd.ANNOTATION_SESSION_NAME] == "Teste"
    assert cr["spec"]["qr"]["maxAttempts"] == 5  # the CRD's default applied by the API server

    live.pod_reports("Teste", {"state": "QRCODE", "status": "qrRead",
                               "qr": {"code": "2@cluster-code,xyz", "attempt": 1}})
    kube = live.app.state.services.store.kube
    before = kube.requests
    for _ in range(20):
        r = live.client.post("/instance/QRCode", json={"SessionName": "Teste", "View": False}, headers=ADMIN)
        assert r.status_code == 200
    assert kube.requests == before  # reads come from the watch cache
    png = base64.b64decode(r.json()["Status"]["qrcode"].removeprefix("data:image/png;base64,"))
    assert [d.text for d in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == ["2@cluster-code,xyz"]

    live.pod_reports("Teste", {"state": "CONNECTED", "status": "inChat", "phone": "5511999998888"})
    session = live.client.post("/sistema/getSession", json={"SessionName": "Teste"}, headers=ADMIN).json()
    assert session["Status"]["session"]["phone"] == "5511999998888"

    assert live.client.post("/sistema/Close", json={"SessionName": "Teste"}, headers=ADMIN).status_code == 200
    assert live.cluster.get(live.path("Teste"))["spec"]["running"] is False
    r = live.client.post("/sistema/Status", json={"SessionName": "Teste"}, headers=ADMIN)
    assert r.json()["Status"]["state"] == "CLOSE"

    # Deleting the CR by hand: the cache follows.
    live.cluster.delete(live.path("Teste"))
    wait_for(lambda: live.client.post("/sistema/Status", json={"SessionName": "Teste"},
                                      headers=ADMIN).status_code == 404, timeout=20, what="the deletion")


def test_concurrent_starts_make_one_cr(live: Live) -> None:
    def start(_: int) -> int:
        return live.client.post("/sistema/Start", json={"SessionName": "Race_1"}, headers=ADMIN).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(start, range(6)))
    assert set(codes) <= {201, 202}, codes
    items = live.cluster.get(f"/apis/{crd.GROUP}/{crd.VERSION}/namespaces/{live.namespace}/{crd.PLURAL}")["items"]
    assert [i["metadata"]["name"] for i in items] == [names.cr_name_for("Race_1")]


def test_bad_names_create_nothing(live: Live) -> None:
    for bad in ("../x", "", "a" * 300, "sessão"):
        r = live.client.post("/sistema/Start", json={"SessionName": bad}, headers=ADMIN)
        assert r.status_code == 400
    items = live.cluster.get(f"/apis/{crd.GROUP}/{crd.VERSION}/namespaces/{live.namespace}/{crd.PLURAL}")["items"]
    assert items == []


def test_qr_page_in_headless_chromium(live: Live) -> None:
    live.client.post("/sistema/Start", json={"SessionName": "pagina"}, headers=ADMIN)
    live.pod_reports("pagina", {"state": "QRCODE", "status": "qrRead", "qr": {"code": "2@page-code", "attempt": 2}})
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        proc = subprocess.run(
            ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--virtual-time-budget=5000", "--dump-dom",
             f"{live.url}/Start#token={ADMIN_KEY}&session=pagina"],
            capture_output=True, text=True, timeout=120)
    dom = proc.stdout
    assert '<span id="state">QRCODE</span>' in dom, (proc.returncode, dom[-2000:], proc.stderr[-2000:])
    assert '<span id="status">qrRead</span>' in dom
    assert 'src="data:image/png;base64,' in dom
    assert ADMIN_KEY not in dom  # the token is not left in the page
