"""The chart on a real API server: server-side dry-run, then a real install, upgrade and uninstall.

The local kubelet runs the operator and API pods (image `mywhatsapp-operator:test`)
from this virtualenv under the chart's own ServiceAccounts, so a missing
permission in the chart's RBAC shows up as a pod that never becomes Ready or an
operator that never handles a session.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.chart.chart import CHART, helm, render_text
from tests.kube import Cluster, wait_for

pytestmark = pytest.mark.cluster

RELEASE = "wa"
FULL = f"{RELEASE}-mywhatsapp"
OPERATOR_SELECTOR = f"app.kubernetes.io/name=mywhatsapp-operator,app.kubernetes.io/instance={RELEASE}"
API_SELECTOR = f"app.kubernetes.io/name=mywhatsapp-api,app.kubernetes.io/instance={RELEASE}"
SESSIONS = "/apis/mywhatsapp.io/v1alpha1/namespaces/{ns}/whatsappsessions"


def local_values(cluster: Cluster) -> list[str]:
    """--set flags for the local cluster: the test image, the simulated backend, and operator
    ports of this test cluster's range (local pods share the host's ports; the operator
    listens on all addresses)."""
    base = cluster.local.port_base if cluster.local is not None else None
    sets = ["image.tag=test", "operator.session.backend=simulated", "api.defaultBackend=simulated"]
    if base is not None:
        sets += [f"operator.healthPort={base + 581}", f"operator.metricsPort={base + 590}"]
    return sets


def dry_run(cluster: Cluster, text: str) -> str:
    proc = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=text, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("values", [[], ["rbac.clusterWide=true", "api.replicas=2", "api.ingress.enabled=true",
                                         "api.ingress.hosts[0]=wa.example.com", "operator.replicas=2"]],
                         ids=["default", "cluster-wide"])
def test_rendered_manifests_pass_a_server_side_dry_run(cluster: Cluster, namespace: str, values: list[str]) -> None:
    text = render_text(None, *values, release=RELEASE, namespace=namespace, include_crds=True).stdout
    out = dry_run(cluster, text)
    kinds = {doc["kind"] for doc in yaml.safe_load_all(text) if doc}
    for kind in kinds:
        assert kind.lower() in out.lower(), f"{kind} missing from the dry-run answer:\n{out}"


def _ready_pods(cluster: Cluster, namespace: str, selector: str) -> list[dict[str, Any]]:
    pods = []
    for pod in cluster.pods(namespace, selector):
        conditions = {c["type"]: c["status"] for c in (pod.get("status") or {}).get("conditions") or []}
        if conditions.get("Ready") == "True" and not pod["metadata"].get("deletionTimestamp"):
            pods.append(pod)
    return pods


def _secret_key(cluster: Cluster, namespace: str) -> str:
    secret = cluster.get(f"/api/v1/namespaces/{namespace}/secrets/{FULL}-api")
    assert secret is not None
    return base64.b64decode(secret["data"]["SECRET_KEY"]).decode()


@pytest.fixture
def release(cluster: Cluster, namespace: str) -> Iterator[str]:
    """Install the chart into the test's namespace; uninstall (if still there) and unblock the namespace after."""
    sets = [arg for value in local_values(cluster) for arg in ("--set", value)]
    helm("install", RELEASE, str(CHART), "--namespace", namespace, *sets, kubeconfig=cluster.kubeconfig)
    try:
        yield namespace
    finally:
        helm("uninstall", RELEASE, "--namespace", namespace, kubeconfig=cluster.kubeconfig, check=False)
        # Without the operator nobody removes the sessions' finalizers; the namespace could not go away.
        for obj in (cluster.get(SESSIONS.format(ns=namespace)) or {}).get("items", []):
            cluster.api.merge_patch(f"{SESSIONS.format(ns=namespace)}/{obj['metadata']['name']}",
                                    {"metadata": {"finalizers": None}})


def test_install_upgrade_uninstall(cluster: Cluster, release: str) -> None:
    ns = release
    # Both components become Ready under the chart's ServiceAccounts (the API is Ready once its
    # session cache has listed the sessions: its Role works).
    operator = cluster.ready_pod(ns, OPERATOR_SELECTOR, timeout=120)
    api = cluster.ready_pod(ns, API_SELECTOR, timeout=120)
    assert operator["spec"]["serviceAccountName"] == f"{FULL}-operator"
    assert api["spec"]["serviceAccountName"] == f"{FULL}-api"
    assert cluster.pod_get(api, 9009, "/readyz") is not None

    # The operator acts on a session with the chart's RBAC: finalizer, status.phase.
    cluster.api.request("POST", SESSIONS.format(ns=ns), {
        "apiVersion": "mywhatsapp.io/v1alpha1", "kind": "WhatsAppSession", "metadata": {"name": "kept"},
        "spec": {"backend": "simulated", "running": False}})

    def handled() -> Any:
        obj = cluster.get(f"{SESSIONS.format(ns=ns)}/kept")
        return obj if (obj.get("status") or {}).get("phase") == "Stopped" and obj["metadata"].get("finalizers") \
            else None

    handled_obj = wait_for(handled, timeout=60, what="the operator to handle the session")
    assert "mywhatsapp.io/logout" in handled_obj["metadata"]["finalizers"]

    # Upgrade: a changed value rolls the API; the generated SECRET_KEY is kept.
    key = _secret_key(cluster, ns)
    assert len(key) == 48
    helm("upgrade", RELEASE, str(CHART), "--namespace", ns, "--reuse-values", "--set", "api.concurrency=7",
         kubeconfig=cluster.kubeconfig)
    new_api = cluster.ready_pod(ns, API_SELECTOR, timeout=120, exclude_uid=api["metadata"]["uid"])
    assert {e["name"]: e.get("value") for e in new_api["spec"]["containers"][0]["env"]}["CONCURRENCY"] == "7"
    assert _secret_key(cluster, ns) == key

    # Uninstall: the chart's objects go; CRDs and sessions stay (helm never deletes crds/).
    helm("uninstall", RELEASE, "--namespace", ns, kubeconfig=cluster.kubeconfig)
    wait_for(lambda: not cluster.pods(ns, OPERATOR_SELECTOR) and not cluster.pods(ns, API_SELECTOR),
             timeout=90, what="the operator and API pods to go")
    assert cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{FULL}-api") is None
    assert cluster.get(f"/api/v1/namespaces/{ns}/secrets/{FULL}-api") is None
    assert cluster.get(f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{ns}-{FULL}-operator-cluster") is None
    assert cluster.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/whatsappsessions.mywhatsapp.io")
    kept = cluster.get(f"{SESSIONS.format(ns=ns)}/kept")
    assert kept is not None and kept["metadata"].get("finalizers")
