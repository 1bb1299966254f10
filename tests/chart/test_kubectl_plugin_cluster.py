"""`kubectl whatsapp` against the real API server: a session whose status the test patches."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import pytest
from mywhatsapp.operator import kubectl_plugin as plugin

from tests.chart.chart import REPO
from tests.kube import Cluster, wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def crds(cluster: Cluster) -> None:
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(REPO / "crds"))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/whatsappsessions.mywhatsapp.io")


def path(ns: str, name: str = "") -> str:
    return f"/apis/mywhatsapp.io/v1alpha1/namespaces/{ns}/whatsappsessions" + (f"/{name}" if name else "")


def create(cluster: Cluster, ns: str, name: str) -> None:
    cluster.api.request("POST", path(ns), {"apiVersion": "mywhatsapp.io/v1alpha1", "kind": "WhatsAppSession",
                                           "metadata": {"name": name}, "spec": {"backend": "simulated"}})


def set_status(cluster: Cluster, ns: str, name: str, status: dict[str, Any]) -> None:
    cluster.api.merge_patch(path(ns, name) + "/status", {"status": status})


def run_plugin(cluster: Cluster, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mywhatsapp.operator.kubectl_plugin",
                           "--kubeconfig", str(cluster.kubeconfig), *args],
                          check=False, capture_output=True, text=True, timeout=60)


def test_qr_status_list_through_the_api_server(cluster: Cluster, namespace: str, crds: None) -> None:
    create(cluster, namespace, "demo")
    set_status(cluster, namespace, "demo", {"state": "QRCODE", "status": "qrRead", "phase": "Running",
                                            "qr": {"code": "2@cluster-code", "attempt": 1}})
    qr = run_plugin(cluster, "qr", "demo", "-n", namespace)
    assert qr.returncode == 0, qr.stderr
    assert "Session demo: scan with WhatsApp" in qr.stdout and "\u2588" in qr.stdout
    assert qr.stdout.split("\n", 1)[1] == plugin.render_qr("2@cluster-code")

    listed = run_plugin(cluster, "list", "-n", namespace)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].split()[:5] == ["demo", "QRCODE", "qrRead", "-", "Running"]

    status = run_plugin(cluster, "status", "demo", "-n", namespace)
    assert status.returncode == 0 and "State:" in status.stdout and "QRCODE" in status.stdout


def test_missing_session_and_namespace_errors(cluster: Cluster, namespace: str, crds: None) -> None:
    missing = run_plugin(cluster, "qr", "ghost", "-n", namespace)
    assert missing.returncode == 1
    assert missing.stderr == (f'error: WhatsAppSession "ghost" not found in namespace "{namespace}" '
                              f"(kubectl whatsapp list -n {namespace} shows the sessions there)\n")
    empty = run_plugin(cluster, "list", "-n", namespace)
    assert empty.stdout == f'No WhatsAppSessions found in namespace "{namespace}".\n'


def test_watch_follows_patched_rotations_until_connected(cluster: Cluster, namespace: str, crds: None) -> None:
    create(cluster, namespace, "live")
    api_client, _ = plugin.connect(str(cluster.kubeconfig), None)
    source = plugin.KubeSource(api_client)
    seen: list[str] = []

    class Out:
        """Collects output and remembers which codes were drawn."""

        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text
            for code in ("2@one", "2@two"):
                if plugin.render_qr(code) in self.text and code not in seen:
                    seen.append(code)

        def flush(self) -> None:
            pass

    out = Out()
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(code=plugin.cmd_qr(
        source, namespace, "live", out, watch=True, timeout=60)), daemon=True)
    thread.start()
    wait_for(lambda: "Waiting for a QR code" in out.text, timeout=20, what="the watch to start")
    set_status(cluster, namespace, "live", {"state": "QRCODE", "status": "qrRead", "qr": {"code": "2@one"}})
    wait_for(lambda: seen == ["2@one"], timeout=20, what="the first code")
    set_status(cluster, namespace, "live", {"qr": {"code": "2@two", "attempt": 2}})
    wait_for(lambda: seen == ["2@one", "2@two"], timeout=20, what="the rotated code")
    set_status(cluster, namespace, "live", {"state": "CONNECTED", "status": "inChat", "phone": "5511999998888",
                                            "qr": None})
    thread.join(timeout=20)
    assert not thread.is_alive()
    assert result == {"code": 0}
    assert out.text.endswith("Session live is CONNECTED as 5511999998888\n")
    api_client.close()
