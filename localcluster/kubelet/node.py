"""The local Node object: registration, Ready heartbeat, its Lease, and the `local` StorageClass."""

from __future__ import annotations

import os
import platform
from typing import Any

from mywhatsapp.common.kube_errors import KubeError

from ..config import PROVISIONER, STORAGE_CLASS
from .api import KubeletApi, now_rfc3339

KUBELET_VERSION = "v1.36.3-local"


def capacity() -> dict[str, str]:
    mem_kib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024
    return {"cpu": str(os.cpu_count() or 1), "memory": f"{mem_kib}Ki", "pods": "1100",
            "ephemeral-storage": "100Gi"}


def node_status(kubelet_port: int) -> dict[str, Any]:
    now = now_rfc3339()
    cap = capacity()
    return {
        "capacity": cap, "allocatable": cap,
        "conditions": [
            {"type": "Ready", "status": "True", "reason": "KubeletReady",
             "message": "local kubelet is posting ready status", "lastHeartbeatTime": now,
             "lastTransitionTime": now},
            *[{"type": t, "status": "False", "reason": f"KubeletHasSufficient{r}", "lastHeartbeatTime": now,
               "lastTransitionTime": now}
              for t, r in (("MemoryPressure", "Memory"), ("DiskPressure", "Disk"), ("PIDPressure", "PID"))],
        ],
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                      {"type": "Hostname", "address": platform.node() or "localhost"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}},
        "nodeInfo": {
            "machineID": "local", "systemUUID": "local", "bootID": "local",
            "kernelVersion": platform.release(), "osImage": "local processes",
            "containerRuntimeVersion": "local://1", "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64",
        },
    }


def register(api: KubeletApi, kubelet_port: int) -> None:
    name = api.node_name
    body = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "local"}}}
    try:
        api.request("POST", "/api/v1/nodes", body)
    except KubeError as e:
        if e.status != 409:
            raise
    heartbeat(api, kubelet_port)


def heartbeat(api: KubeletApi, kubelet_port: int) -> None:
    api.merge_patch(f"/api/v1/nodes/{api.node_name}/status", {"status": node_status(kubelet_port)})
    lease_path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{api.node_name}"
    renew = now_rfc3339().replace("Z", ".000000Z")
    spec = {"holderIdentity": api.node_name, "leaseDurationSeconds": 40, "renewTime": renew}
    if api.get_or_none(lease_path) is None:
        try:
            api.request("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                        {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                         "metadata": {"name": api.node_name}, "spec": spec})
        except KubeError as e:
            if e.status != 409:
                raise
    else:
        api.merge_patch(lease_path, {"spec": spec})


def ensure_storage_class(api: KubeletApi) -> None:
    body = {
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": STORAGE_CLASS,
                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": PROVISIONER, "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate",
    }
    try:
        api.request("POST", "/apis/storage.k8s.io/v1/storageclasses", body)
    except KubeError as e:
        if e.status != 409:
            raise
