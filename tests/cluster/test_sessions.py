"""Sessions end to end on the real cluster: operator + session pods + the WhatsApp simulator.

The simulator (fixture in tests/conftest.py) runs with short QR lifetimes; the operator (a pod, with the chart's RBAC rules) gives its
URL to `simulated` sessions. Phones scan through the simulator's phone API.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mywhatsapp.common import crd, names
from tests.cluster.operator_fixture import session, start_operator
from tests.kube import Cluster, wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture
def operator(cluster: Cluster, namespace: str, simulator: str) -> dict[str, Any]:
    return start_operator(cluster, namespace, env={"MYWHATSAPP_SIMULATOR_URL": simulator})


def cr(cluster: Cluster, ns: str, name: str) -> dict[str, Any]:
    return cluster.get(f"/apis/mywhatsapp.io/v1alpha1/namespaces/{ns}/whatsappsessions/{name}") or {}


def status(cluster: Cluster, ns: str, name: str) -> dict[str, Any]:
    return cr(cluster, ns, name).get("status") or {}


def wait_state(cluster: Cluster, ns: str, name: str, state: str, status_word: str, timeout: float = 60) -> dict[str, Any]:
    return wait_for(lambda: (s := status(cluster, ns, name)).get("state") == state
                    and s.get("status") == status_word and s, what=f"{name} {state}/{status_word}", timeout=timeout)


def scan(simulator: str, phone: str, code: str) -> None:
    resp = httpx.post(f"{simulator}/phones/{phone}/scan", json={"qr": code}, timeout=10)
    assert resp.status_code == 200, resp.text


def connect(cluster: Cluster, ns: str, name: str, simulator: str, phone: str) -> dict[str, Any]:
    qr = wait_for(lambda: (status(cluster, ns, name).get("qr") or {}).get("code"), what=f"{name}'s QR code")
    scan(simulator, phone, qr)
    return wait_state(cluster, ns, name, "CONNECTED", "inChat")


def pod_api(cluster: Cluster, ns: str, name: str) -> httpx.Client:
    """A client of the session pod's internal API, with its token from the session's Secret."""
    secret = cluster.get(f"/api/v1/namespaces/{ns}/secrets/{names.secret_name(name)}")
    token = base64.b64decode(secret["data"][crd.SECRET_KEY_INTERNAL_TOKEN]).decode()
    endpoint = wait_for(lambda: status(cluster, ns, name).get("endpoint"), what="the pod's endpoint")
    return httpx.Client(base_url=f"http://{endpoint}", headers={"Authorization": f"Bearer {token}"}, timeout=15)


def test_scan_connects_and_a_new_pod_reconnects_without_a_qr(
        cluster: Cluster, namespace: str, operator: Any, simulator: str) -> None:
    cluster.apply(namespace, [session("alpha")])
    first_qr = wait_for(lambda: status(cluster, namespace, "alpha").get("qr"), what="a QR code")
    assert first_qr["code"].startswith("2@") and first_qr["code"].count(",") == 3
    assert first_qr["attempt"] == 1 and first_qr["expiresAt"]
    assert status(cluster, namespace, "alpha")["state"] == "QRCODE"
    scan(simulator, "5511988880001", first_qr["code"])
    connected = wait_state(cluster, namespace, "alpha", "CONNECTED", "inChat")
    assert connected["phone"] == "5511988880001" and connected.get("qr") is None
    row = cluster.kubectl("get", "wa", "alpha", "-n", namespace, "--no-headers").stdout.split()
    assert row[1:4] == ["CONNECTED", "inChat", "5511988880001"]

    old = cluster.pods(namespace, f"{crd.LABEL_SESSION}=alpha")[0]
    cluster.delete(f"/api/v1/namespaces/{namespace}/pods/{old['metadata']['name']}")
    new = cluster.ready_pod(namespace, f"{crd.LABEL_SESSION}=alpha", exclude_uid=old["metadata"]["uid"])
    again = wait_state(cluster, namespace, "alpha", "CONNECTED", "inChat")
    assert again["phone"] == "5511988880001" and again.get("qr") is None
    assert again["endpoint"].startswith(new["status"]["podIP"])
    devices = httpx.get(f"{simulator}/phones/5511988880001/devices", timeout=10).json()["devices"]
    assert len([d for d in devices if not d["revoked"]]) == 1, "the same linked device, not a new one"


def test_unscanned_session_auto_closes_and_start_begins_again(
        cluster: Cluster, namespace: str, operator: Any, simulator: str) -> None:
    cluster.apply(namespace, [session("lonely", qr={"maxAttempts": 2})])
    wait_state(cluster, namespace, "lonely", "CLOSE", "autocloseCalled", timeout=90)
    wait_for(lambda: cr(cluster, namespace, "lonely")["spec"]["running"] is False, what="the operator to stop it")
    wait_for(lambda: not cluster.pods(namespace, f"{crd.LABEL_SESSION}=lonely"), what="its pod to be gone")
    st = wait_for(lambda: (s := status(cluster, namespace, "lonely")).get("stoppedReason") == "autocloseCalled"
                  and s.get("phase") == "Stopped" and s, what="stoppedReason and phase Stopped")
    assert st["state"] == "CLOSE" and st["status"] == "autocloseCalled"

    cluster.api.merge_patch(f"/apis/mywhatsapp.io/v1alpha1/namespaces/{namespace}/whatsappsessions/lonely",
                            {"spec": {"running": True}})
    fresh = wait_for(lambda: (s := status(cluster, namespace, "lonely")).get("state") == "QRCODE"
                     and s.get("qr") and s, what="new QR codes after Start", timeout=60)
    assert fresh["qr"]["attempt"] == 1
    assert fresh.get("stoppedReason") is None


def test_logout_unlinks_and_restart_token_shows_a_new_qr(
        cluster: Cluster, namespace: str, operator: Any, simulator: str) -> None:
    cluster.apply(namespace, [session("leaver")])
    connect(cluster, namespace, "leaver", simulator, "5511988880002")
    with pod_api(cluster, namespace, "leaver") as pod:
        assert pod.post("/v1/logout", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert pod.post("/v1/logout").status_code == 200
        wait_state(cluster, namespace, "leaver", "DISCONNECTED", "notLogged")
        devices = httpx.get(f"{simulator}/phones/5511988880002/devices", timeout=10).json()["devices"]
        assert not [d for d in devices if not d["revoked"]], "the phone no longer lists the device as linked"

        assert pod.post("/v1/restart").status_code == 200
    fresh = wait_for(lambda: (s := status(cluster, namespace, "leaver")).get("state") == "QRCODE"
                     and s.get("qr") and s, what="a new QR after restartToken")
    assert fresh["qr"]["attempt"] == 1


def test_a_message_sent_by_one_session_arrives_at_another(
        cluster: Cluster, namespace: str, operator: Any, simulator: str) -> None:
    cluster.apply(namespace, [session("sender"), session("receiver")])
    connect(cluster, namespace, "sender", simulator, "5511988880003")
    connect(cluster, namespace, "receiver", simulator, "5511988880004")
    with pod_api(cluster, namespace, "sender") as a, pod_api(cluster, namespace, "receiver") as b:
        sent = a.post("/v1/messages/text", json={"to": "5511988880004", "text": "olá, B"})
        assert sent.status_code == 200, sent.text
        message_id = sent.json()["id"]

        def arrived() -> dict[str, Any] | None:
            events = b.get("/v1/events", params={"after": 0}).json()["events"]
            return next((e for e in events if e.get("type") == "message" and e.get("id") == message_id), None)

        got = wait_for(arrived, what="the message at B")
        assert got["sender"] == "5511988880003" and got["content"].get("text") == "olá, B"
        assert got["fromMe"] is False


def test_the_documented_example_manifest_becomes_a_running_session(
        cluster: Cluster, namespace: str, operator: Any, simulator: str) -> None:
    example = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs/examples/session.yaml").read_text())
    cluster.apply(namespace, [example])
    name = example["metadata"]["name"]
    wait_state(cluster, namespace, name, "QRCODE", "qrRead", timeout=90)
    assert wait_for(lambda: status(cluster, namespace, name).get("phase") == "Running", what="phase Running")
