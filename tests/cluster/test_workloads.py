"""The foundation's acceptance: real workloads on the real control plane.

Pods run the inspector program (`mywhatsapp.localcluster.inspector`) so the
tests can look at a pod from the inside: its environment, files, mounts and
what its service-account token may do.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.kube import Cluster, wait_for

pytestmark = pytest.mark.cluster
IMAGE = "mywhatsapp-operator:test"


def inspector(*args: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "main", "image": IMAGE,
        "command": ["python", "-m", "mywhatsapp.localcluster.inspector", *args],
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
        + extra.pop("env", []),
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 1},
        **extra,
    }


def deployment(name: str, container: dict[str, Any], **pod_spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [container], **pod_spec}}},
    }


def test_deployment_pod_runs_with_the_specified_env_and_mounts(cluster: Cluster, namespace: str) -> None:
    cluster.apply(namespace, [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
         "stringData": {"password": "s3cr3t-value"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf"},
         "data": {"greeting": "olá", "app.conf": "mode=test\n"}},
        deployment("insp", inspector(
            env=[
                {"name": "MY_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "MY_NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
                {"name": "GREETING", "valueFrom": {"configMapKeyRef": {"name": "conf", "key": "greeting"}}},
                {"name": "PHRASE", "value": "$(GREETING), mundo"},
            ],
            volumeMounts=[{"name": "conf", "mountPath": "/etc/insp/conf", "readOnly": True},
                          {"name": "creds", "mountPath": "/etc/insp/creds"}],
        ), volumes=[{"name": "conf", "configMap": {"name": "conf"}},
                    {"name": "creds", "secret": {"secretName": "creds"}}]),
    ])
    pod = cluster.ready_pod(namespace, "app=insp")
    wait_for(lambda: (cluster.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/insp") or {})
             .get("status", {}).get("availableReplicas") == 1, what="the Deployment to be available")

    env = cluster.pod_get(pod, 8080, "/env")
    assert env["MY_NAME"] == pod["metadata"]["name"]
    assert env["MY_NS"] == namespace
    assert env["POD_IP"] == pod["status"]["podIP"]
    assert env["PASSWORD"] == "s3cr3t-value"
    assert env["GREETING"] == "olá"
    assert env["PHRASE"] == "olá, mundo"
    assert env["KUBERNETES_SERVICE_HOST"] and env["KUBERNETES_SERVICE_PORT"]

    assert cluster.pod_get(pod, 8080, "/file?path=/etc/insp/conf/app.conf") == "mode=test\n"
    assert cluster.pod_get(pod, 8080, "/file?path=/etc/insp/creds/password") == "s3cr3t-value"
    token_dir = "/var/run/secrets/kubernetes.io/serviceaccount"
    assert cluster.pod_get(pod, 8080, f"/file?path={token_dir}/namespace") == namespace
    assert cluster.pod_get(pod, 8080, f"/file?path={token_dir}/token").count(".") == 2  # a JWT

    mounts = cluster.pod_get(pod, 8080, "/mounts")
    assert "/etc/insp/conf" in mounts and "/etc/insp/creds" in mounts
    if cluster.local is not None:
        ip = pod["status"]["podIP"]
        assert ip.startswith(f"127.{cluster.local.pod_net}."), ip
        # The mounts live in the pod's own mount namespace, not on the host.
        assert not Path("/etc/insp/conf/app.conf").exists()


def test_statefulset_volume_outlives_its_pod(cluster: Cluster, namespace: str) -> None:
    cluster.apply(namespace, [{
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "store"},
        "spec": {
            "replicas": 1, "serviceName": "store", "selector": {"matchLabels": {"app": "store"}},
            "template": {"metadata": {"labels": {"app": "store"}}, "spec": {"containers": [inspector(
                "--record", "/data/boots", volumeMounts=[{"name": "data", "mountPath": "/data"}])]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}}}],
        },
    }])
    first = cluster.ready_pod(namespace, "app=store")
    boots = cluster.pod_get(first, 8080, "/record")
    assert len(boots) == 1 and boots[0].startswith("store-0 ")

    pvc = cluster.get(f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/data-store-0")
    assert pvc["status"]["phase"] == "Bound"

    cluster.delete(f"/api/v1/namespaces/{namespace}/pods/store-0")
    second = cluster.ready_pod(namespace, "app=store", exclude_uid=first["metadata"]["uid"])
    again = cluster.pod_get(second, 8080, "/record")
    assert again[0] == boots[0], "the new pod must see what the old one wrote"
    assert len(again) == 2


def test_service_account_token_gets_exactly_what_its_role_grants(cluster: Cluster, namespace: str) -> None:
    cluster.apply(namespace, [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "narrow"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "allowed"}, "data": {"a": "1"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"}, "data": {"b": "2"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "narrow"},
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["allowed"], "verbs": ["get"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "narrow"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "narrow"},
         "subjects": [{"kind": "ServiceAccount", "name": "narrow", "namespace": namespace}]},
        deployment("rbac", inspector(), serviceAccountName="narrow"),
    ])
    pod = cluster.ready_pod(namespace, "app=rbac")
    base = f"/api/v1/namespaces/{namespace}"

    def status(path: str) -> int:
        return int(cluster.pod_get(pod, 8080, f"/kube?path={path}")["status"])

    # RBAC changes reach the authorizer through a watch; wait for the grant.
    wait_for(lambda: status(f"{base}/configmaps/allowed") == 200, what="the Role to take effect")
    assert status(f"{base}/configmaps/other") == 403
    assert status(f"{base}/configmaps") == 403
    assert status(f"{base}/secrets") == 403
    assert status("/api/v1/namespaces/default/configmaps/kube-root-ca.crt") == 403


def test_deleting_an_owner_collects_its_dependents(cluster: Cluster, namespace: str) -> None:
    cluster.apply(namespace, [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}}])
    owner = cluster.get(f"/api/v1/namespaces/{namespace}/configmaps/owner")
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    cluster.apply(namespace, [{"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": f"dep-{i}", "ownerReferences": [ref]}} for i in range(3)])
    cluster.apply(namespace, [deployment("gc", inspector())])
    pod = cluster.ready_pod(namespace, "app=gc")

    cluster.delete(f"/api/v1/namespaces/{namespace}/configmaps/owner")
    cluster.delete(f"/apis/apps/v1/namespaces/{namespace}/deployments/gc")
    for i in range(3):
        wait_for(lambda: cluster.get(f"/api/v1/namespaces/{namespace}/configmaps/dep-{i}") is None,
                 what=f"dep-{i} to be garbage-collected")
    wait_for(lambda: not cluster.pods(namespace, "app=gc"), what="the Deployment's pods to be collected")
    if cluster.local is not None:
        pid = int(next(c for c in pod["status"]["containerStatuses"])["containerID"].split("://")[1])
        wait_for(lambda: not os.path.exists(f"/proc/{pid}"), what="the pod's process to end", timeout=30)


def test_a_node_port_service_reaches_the_current_ready_pod(cluster: Cluster, local_cluster: Any,
                                                           namespace: str) -> None:
    node_port = 30000 + int.from_bytes(os.urandom(2), "big") % 2000
    cluster.apply(namespace, [
        deployment("np", inspector()),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "np"},
         "spec": {"type": "NodePort", "selector": {"app": "np"},
                  "ports": [{"port": 80, "targetPort": "http", "nodePort": node_port}]}},
    ])
    first = cluster.ready_pod(namespace, "app=np")
    url = f"http://{local_cluster.node_address}:{node_port}/env"

    def served_by() -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return json.loads(resp.read())["HOSTNAME"]
        except OSError:
            return None

    assert wait_for(served_by, what="the node port to answer") == first["metadata"]["name"]
    cluster.delete(f"/api/v1/namespaces/{namespace}/pods/{first['metadata']['name']}")
    second = cluster.ready_pod(namespace, "app=np", exclude_uid=first["metadata"]["uid"])
    wait_for(lambda: served_by() == second["metadata"]["name"], what="the node port to follow the new pod")
