"""Run the operator as a pod of the cluster, with the ServiceAccount and RBAC the chart gives it.

The operator watches only the test's namespace, so tests do not see each
other's sessions; its RBAC rules come from the chart's single source
(`helm/mywhatsapp/files/operator-rules.yaml`), so a missing permission fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.kube import Cluster

REPO = Path(__file__).resolve().parents[2]
IMAGE = "mywhatsapp-operator:test"
LABELS = {"app.kubernetes.io/name": "mywhatsapp-operator"}
SELECTOR = "app.kubernetes.io/name=mywhatsapp-operator"


def install_crds(cluster: Cluster) -> None:
    cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(REPO / "crds"))
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                    "crd/whatsappsessions.mywhatsapp.io", "crd/kopfpeerings.kopf.dev")


def operator_manifests(namespace: str, *, env: dict[str, str] | None = None, replicas: int = 1) -> list[dict[str, Any]]:
    rules = yaml.safe_load((REPO / "helm/mywhatsapp/files/operator-rules.yaml").read_text())
    cluster_rules = yaml.safe_load((REPO / "helm/mywhatsapp/files/operator-cluster-rules.yaml").read_text())
    name = "mywhatsapp-operator"
    cluster_name = f"mywhatsapp-operator-{namespace}"  # cluster-scoped: one per test namespace
    all_env = {"MYWHATSAPP_WATCH_NAMESPACES": namespace, "MYWHATSAPP_SESSION_IMAGE": IMAGE,
               "MYWHATSAPP_DEFAULT_BACKEND": "simulated", "MYWHATSAPP_LOGOUT_TIMEOUT_SECONDS": "5",
               "MYWHATSAPP_WEBHOOK_ALLOW_PRIVATE": "1",
               **(env or {})}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name}, "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": cluster_name},
         "rules": cluster_rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": cluster_name},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_name},
         "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": LABELS},
         "spec": {"replicas": replicas, "selector": {"matchLabels": LABELS}, "strategy": {"type": "Recreate"},
                  "template": {"metadata": {"labels": LABELS}, "spec": {
                      "serviceAccountName": name,
                      "containers": [{
                          "name": "operator", "image": IMAGE, "command": ["mywhatsapp-operator"],
                          "env": [{"name": k, "value": v} for k, v in all_env.items()]
                          + [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                          "ports": [{"name": "health", "containerPort": 8081},
                                    {"name": "metrics", "containerPort": 9090}],
                          "livenessProbe": {"httpGet": {"path": "/healthz", "port": "health"},
                                            "periodSeconds": 10},
                          "readinessProbe": {"httpGet": {"path": "/healthz", "port": "health"},
                                             "periodSeconds": 1},
                      }]}}}},
    ]


def start_operator(cluster: Cluster, namespace: str, **kwargs: Any) -> dict[str, Any]:
    install_crds(cluster)
    cluster.apply(namespace, operator_manifests(namespace, **kwargs))
    return cluster.ready_pod(namespace, SELECTOR)


def session(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "mywhatsapp.io/v1alpha1", "kind": "WhatsAppSession", "metadata": {"name": name},
            "spec": {"backend": "simulated", **spec}}
