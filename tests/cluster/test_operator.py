"""The operator on the real control plane: owned objects, RBAC, stop/start, deletion, drift, restarts."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from mywhatsapp.common import crd, names
from tests.cluster.operator_fixture import SELECTOR, install_crds, operator_manifests, session, start_operator
from tests.kube import Cluster, wait_for

pytestmark = pytest.mark.cluster


@pytest.fixture
def operator(cluster: Cluster, namespace: str) -> dict[str, Any]:
    return start_operator(cluster, namespace)


def wa_path(ns: str, name: str = "", sub: str = "") -> str:
    return f"/apis/mywhatsapp.io/v1alpha1/namespaces/{ns}/whatsappsessions" + (f"/{name}" if name else "") + (
        f"/{sub}" if sub else "")


def owned(cluster: Cluster, ns: str, name: str) -> dict[str, Any]:
    paths = {
        "StatefulSet": f"/apis/apps/v1/namespaces/{ns}/statefulsets/{names.statefulset_name(name)}",
        "ServiceAccount": f"/api/v1/namespaces/{ns}/serviceaccounts/{names.service_account_name(name)}",
        "Role": f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/{names.role_name(name)}",
        "RoleBinding": f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/{names.role_binding_name(name)}",
        "Secret": f"/api/v1/namespaces/{ns}/secrets/{names.secret_name(name)}",
        "Service": f"/api/v1/namespaces/{ns}/services/{names.service_name(name)}",
    }
    return {kind: cluster.get(path) for kind, path in paths.items()}


def sts(cluster: Cluster, ns: str, name: str) -> dict[str, Any] | None:
    return cluster.get(f"/apis/apps/v1/namespaces/{ns}/statefulsets/{names.statefulset_name(name)}")


def test_a_session_owns_its_objects_and_follows_running(cluster: Cluster, namespace: str, operator: Any) -> None:
    cluster.apply(namespace, [session("alpha")])
    cr = cluster.get(wa_path(namespace, "alpha"))
    objs = wait_for(lambda: (o := owned(cluster, namespace, "alpha")) and all(o.values()) and o,
                    what="every owned object")
    for kind, obj in objs.items():
        refs = obj["metadata"].get("ownerReferences") or []
        assert [(r["kind"], r["name"], r["uid"], r.get("controller")) for r in refs] == [
            ("WhatsAppSession", "alpha", cr["metadata"]["uid"], True)], kind
    assert objs["Role"]["rules"] == [
        {"apiGroups": ["mywhatsapp.io"], "resources": ["whatsappsessions"], "resourceNames": ["alpha"],
         "verbs": ["get"]},
        {"apiGroups": ["mywhatsapp.io"], "resources": ["whatsappsessions/status"], "resourceNames": ["alpha"],
         "verbs": ["get", "patch"]},
    ]
    assert objs["StatefulSet"]["spec"]["replicas"] == 1
    assert cluster.get(wa_path(namespace, "alpha"))["metadata"]["finalizers"] == [crd.FINALIZER]

    # kubectl get wa shows the printer columns, and the short names work.
    table = cluster.kubectl("get", "wa", "-n", namespace).stdout.splitlines()
    assert table[0].split() == ["NAME", "STATE", "STATUS", "PHONE", "AGE"]
    assert table[1].split()[0] == "alpha"
    assert cluster.kubectl("get", "was", "-n", namespace, "-o", "name").stdout.strip() == \
        "whatsappsession.mywhatsapp.io/alpha"

    pvc_path = f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/{names.pvc_name('alpha')}"
    pvc = wait_for(lambda: cluster.get(pvc_path), what="the login-state PVC")

    cluster.api.merge_patch(wa_path(namespace, "alpha"), {"spec": {"running": False}})
    wait_for(lambda: sts(cluster, namespace, "alpha")["spec"]["replicas"] == 0, what="replicas 0")
    wait_for(lambda: not cluster.pods(namespace, f"{crd.LABEL_SESSION}=alpha"), what="the pod to go")
    wait_for(lambda: cluster.get(wa_path(namespace, "alpha"))["status"].get("phase") == "Stopped", what="Stopped")
    assert cluster.get(pvc_path)["metadata"]["uid"] == pvc["metadata"]["uid"], "the PVC is kept when stopped"

    cluster.api.merge_patch(wa_path(namespace, "alpha"), {"spec": {"running": True}})
    wait_for(lambda: sts(cluster, namespace, "alpha")["spec"]["replicas"] == 1, what="replicas 1")
    pod = wait_for(lambda: cluster.pods(namespace, f"{crd.LABEL_SESSION}=alpha"), what="a new pod")[0]
    claim = next(v["persistentVolumeClaim"]["claimName"] for v in pod["spec"]["volumes"]
                 if "persistentVolumeClaim" in v)
    assert claim == names.pvc_name("alpha")
    assert cluster.get(pvc_path)["metadata"]["uid"] == pvc["metadata"]["uid"], "the same PVC comes back"

    cluster.delete(wa_path(namespace, "alpha"))
    wait_for(lambda: cluster.get(wa_path(namespace, "alpha")) is None, what="the session to be deleted", timeout=60)
    wait_for(lambda: not any(owned(cluster, namespace, "alpha").values()), what="owned objects to be collected")
    wait_for(lambda: cluster.get(pvc_path) is None, what="the PVC to be deleted with the session")
    events = cluster.get(f"/api/v1/namespaces/{namespace}/events")["items"]
    reasons = {e["reason"] for e in events if e["involvedObject"].get("name") == "alpha"}
    assert reasons & {"LoggedOut", "LogoutSkipped"}, reasons
    assert "Pending" in reasons or "Starting" in reasons or "Failed" in reasons, reasons


def test_the_session_token_may_patch_its_own_status_and_nothing_else(
        cluster: Cluster, namespace: str, operator: Any) -> None:
    cluster.apply(namespace, [session("own", running=False), session("other", running=False)])
    wait_for(lambda: cluster.get(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings/"
                                 f"{names.role_binding_name('own')}"), what="the session's RoleBinding")
    token = cluster.token_for(namespace, names.service_account_name("own"))
    with cluster.as_token(token) as http:
        def patch_own() -> int:
            return http.patch(wa_path(namespace, "own", "status"), json={"status": {"phone": "5511999990000"}},
                              headers={"Content-Type": "application/merge-patch+json"}).status_code

        wait_for(lambda: patch_own() == 200, what="the Role to take effect")
        assert cluster.get(wa_path(namespace, "own"))["status"]["phone"] == "5511999990000"
        assert http.get(wa_path(namespace, "own")).status_code == 200
        assert http.get(wa_path(namespace, "other")).status_code == 403
        assert http.patch(wa_path(namespace, "other", "status"), json={"status": {"phone": "1"}},
                          headers={"Content-Type": "application/merge-patch+json"}).status_code == 403
        assert http.patch(wa_path(namespace, "own"), json={"spec": {"running": True}},
                          headers={"Content-Type": "application/merge-patch+json"}).status_code == 403
        assert http.get(f"/api/v1/namespaces/{namespace}/secrets").status_code == 403
        assert http.get(f"/api/v1/namespaces/{namespace}/secrets/{names.secret_name('own')}").status_code == 403


def test_drift_is_undone(cluster: Cluster, namespace: str, operator: Any) -> None:
    cluster.apply(namespace, [session("drift", running=False)])
    first = wait_for(lambda: sts(cluster, namespace, "drift"), what="the StatefulSet")
    secret = wait_for(lambda: owned(cluster, namespace, "drift")["Secret"], what="the Secret")

    cluster.delete(f"/apis/apps/v1/namespaces/{namespace}/statefulsets/{names.statefulset_name('drift')}")
    again = wait_for(lambda: (s := sts(cluster, namespace, "drift")) and s["metadata"]["uid"] != first["metadata"]["uid"]
                     and s, what="the StatefulSet to be recreated")
    assert again["spec"]["replicas"] == 0

    cluster.api.merge_patch(f"/apis/apps/v1/namespaces/{namespace}/statefulsets/{names.statefulset_name('drift')}",
                            {"spec": {"replicas": 3}})
    wait_for(lambda: sts(cluster, namespace, "drift")["spec"]["replicas"] == 0, what="replicas put back to 0")
    assert owned(cluster, namespace, "drift")["Secret"]["data"] == secret["data"], "the Secret is never rotated"


def test_invalid_manifests_are_refused_by_the_api_server(cluster: Cluster, namespace: str) -> None:
    install_crds(cluster)
    bad = [
        ({"backend": "baileys"}, "backend"),
        ({"qr": {"maxAttempts": 0}}, "maxAttempts"),
        ({"webhooks": {"message": "ftp://example.org/x"}}, "message"),
        ({"nonsense": True}, "nonsense"),
    ]
    for spec, word in bad:
        proc = cluster.kubectl("apply", "-n", namespace, "-f", "-", check=False,
                               input=__import__("yaml").safe_dump({**session("bad"), "spec": spec}))
        assert proc.returncode != 0 and word in proc.stderr, (spec, proc.stderr)
    assert cluster.get(wa_path(namespace, "bad")) is None
    cluster.apply(namespace, [{**session("defaults"), "spec": {}}])
    spec = cluster.get(wa_path(namespace, "defaults"))["spec"]
    assert spec["running"] is True and spec["qr"]["maxAttempts"] == 5


def test_killing_the_operator_mid_reconcile_loses_nothing(cluster: Cluster, namespace: str, operator: Any) -> None:
    count = 100
    deploy = f"/apis/apps/v1/namespaces/{namespace}/deployments/mywhatsapp-operator"
    sets_path = f"/apis/apps/v1/namespaces/{namespace}/statefulsets"
    # Sessions pile up while no operator runs; then one starts and is killed mid-way.
    cluster.api.merge_patch(deploy, {"spec": {"replicas": 0}})
    wait_for(lambda: not cluster.pods(namespace, SELECTOR), what="the operator to stop")
    cluster.apply(namespace, [session(f"s{i:03d}", running=False) for i in range(count)])
    cluster.api.merge_patch(deploy, {"spec": {"replicas": 1}})
    victim = cluster.ready_pod(namespace, SELECTOR, exclude_uid=operator["metadata"]["uid"])
    done_at_kill = wait_for(lambda: (n := len(cluster.api.request("GET", sets_path)["items"])) >= 5 and n,
                            what="the first StatefulSets", interval=0.05)
    cluster.delete(f"/api/v1/namespaces/{namespace}/pods/{victim['metadata']['name']}", gracePeriodSeconds=0)
    assert done_at_kill < count, "the operator must be killed before it finished"
    cluster.ready_pod(namespace, SELECTOR, exclude_uid=victim["metadata"]["uid"], timeout=120)

    def converged() -> bool:
        crs = cluster.api.request("GET", wa_path(namespace))["items"]
        sets = cluster.api.request("GET", f"/apis/apps/v1/namespaces/{namespace}/statefulsets")["items"]
        return (len(crs) == count and len(sets) == count
                and all((c.get("status") or {}).get("phase") == "Stopped" for c in crs))

    wait_for(converged, what=f"all {count} sessions Stopped", timeout=240)
    crs = {c["metadata"]["uid"]: c["metadata"]["name"] for c in cluster.api.request("GET", wa_path(namespace))["items"]}
    for plural, api in (("statefulsets", "/apis/apps/v1"), ("secrets", "/api/v1"), ("serviceaccounts", "/api/v1"),
                        ("roles", "/apis/rbac.authorization.k8s.io/v1"), ("services", "/api/v1")):
        items = cluster.api.request("GET", f"{api}/namespaces/{namespace}/{plural}",
                                    query=[("labelSelector", crd.LABEL_SESSION)])["items"]
        owners = [r["uid"] for o in items for r in o["metadata"].get("ownerReferences") or []]
        assert len(items) == count, (plural, len(items))
        assert sorted(owners) == sorted(crs), f"{plural}: every object owned by exactly one live session"


def metrics_of(pod: dict[str, Any]) -> dict[str, float]:
    """The operator pod's Prometheus samples, by name{labels}."""
    with urllib.request.urlopen(f"http://{pod['status']['podIP']}:9090/metrics", timeout=10) as resp:
        lines = resp.read().decode().splitlines()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines if line and line[0] != "#"}


def test_two_replicas_never_both_act(cluster: Cluster, namespace: str) -> None:
    if cluster.local is None:
        pytest.skip("reads the replicas' metrics on their pod addresses")
    install_crds(cluster)
    cluster.apply(namespace, operator_manifests(namespace, replicas=2))
    peering = f"/apis/kopf.dev/v1/namespaces/{namespace}/kopfpeerings/mywhatsapp-operator"
    wait_for(lambda: len(((cluster.get(peering) or {}).get("status") or {})) == 2, what="two peers", timeout=90)
    cluster.apply(namespace, [session(f"p{i}", running=False) for i in range(10)])
    wait_for(lambda: all((c.get("status") or {}).get("phase") == "Stopped"
                         for c in cluster.api.request("GET", wa_path(namespace))["items"]), what="10 sessions Stopped")
    replicas = cluster.pods(namespace, SELECTOR)
    assert len(replicas) == 2
    samples = [metrics_of(p) for p in replicas]
    key = 'mywhatsapp_operator_reconciles_total{result="ok"}'
    acted = sorted(s.get(key, 0.0) for s in samples)
    assert acted[0] == 0 and acted[1] >= 10, acted
    active = next(s for s in samples if s.get(key, 0) > 0)
    assert active['mywhatsapp_sessions{phase="Stopped"}'] == 10
    assert active["mywhatsapp_operator_reconcile_seconds_count"] >= 10
