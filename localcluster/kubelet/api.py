"""The kubelet's side effects on the API server, in one place.

Everything is exchanged as plain JSON dicts (the kubelet never needs the
client's model classes), which also keeps status patches exact.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


from mywhatsapp.common.kube_errors import KubeError
from mywhatsapp.common.kube_sync import KubeClient, load_configuration
from .envvars import decode_secret

log = logging.getLogger("kubelet.api")


def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class KubeletApi(KubeClient):
    """Reads and writes of the local kubelet, on the admin client."""

    def __init__(self, kubeconfig: Path, node_name: str) -> None:
        cfg = load_configuration(kubeconfig)
        cfg.connection_pool_maxsize = 64
        super().__init__(cfg)
        self.node_name = node_name

    # --- lookups for volumes and env ----------------------------------------------
    def object_data(self, namespace: str, kind: str, name: str) -> Mapping[str, str] | None:
        plural = {"Secret": "secrets", "ConfigMap": "configmaps"}[kind]
        obj = self.get_or_none(f"/api/v1/namespaces/{namespace}/{plural}/{name}")
        if obj is None:
            return None
        if kind == "Secret":
            return decode_secret(obj.get("data"))
        return dict(obj.get("data") or {})

    def pvc_host_path(self, namespace: str, claim: str) -> Path | None:
        pvc = self.get_or_none(f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/{claim}")
        if not pvc or (pvc.get("status") or {}).get("phase") != "Bound":
            return None
        pv = self.get_or_none(f"/api/v1/persistentvolumes/{pvc['spec']['volumeName']}")
        if not pv:
            return None
        spec = pv["spec"]
        path = (spec.get("hostPath") or spec.get("local") or {}).get("path")
        return Path(path) if path else None

    def service_account_token(self, namespace: str, sa: str, pod: Mapping[str, Any],
                              audience: str | None, seconds: int) -> tuple[str, float]:
        body = {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {
                "audiences": [audience] if audience else None,
                "expirationSeconds": seconds,
                "boundObjectRef": {"apiVersion": "v1", "kind": "Pod",
                                   "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]},
            },
        }
        out = self.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{sa}/token", body)
        expires = dt.datetime.fromisoformat(out["status"]["expirationTimestamp"].replace("Z", "+00:00"))
        lifetime = max(60.0, (expires - dt.datetime.now(dt.timezone.utc)).total_seconds())
        return out["status"]["token"], lifetime

    # --- pods -----------------------------------------------------------------------
    def patch_pod_status(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        self.merge_patch(f"/api/v1/namespaces/{namespace}/pods/{name}/status", {"status": status})

    def bind(self, namespace: str, name: str) -> None:
        body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                "target": {"apiVersion": "v1", "kind": "Node", "name": self.node_name}}
        self.request("POST", f"/api/v1/namespaces/{namespace}/pods/{name}/binding", body)

    def delete_pod_now(self, namespace: str, name: str, uid: str) -> None:
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                "preconditions": {"uid": uid}}
        try:
            self.request("DELETE", f"/api/v1/namespaces/{namespace}/pods/{name}", body)
        except KubeError as e:
            if e.status not in (404, 409):
                raise

    def event(self, pod: Mapping[str, Any], reason: str, message: str, *, warning: bool = False) -> None:
        meta = pod["metadata"]
        ts = now_rfc3339()
        body = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": meta["name"],
                               "namespace": meta["namespace"], "uid": meta["uid"]},
            "reason": reason, "message": message[:1024], "type": "Warning" if warning else "Normal",
            "source": {"component": "kubelet", "host": self.node_name},
            "firstTimestamp": ts, "lastTimestamp": ts, "count": 1,
        }
        try:
            self.request("POST", f"/api/v1/namespaces/{meta['namespace']}/events", body)
        except KubeError as e:  # events are best effort, as in the real kubelet
            log.debug("event %s for %s/%s not recorded: %s", reason, meta["namespace"], meta["name"], e.status)


def retrying(fn, *args, attempts: int = 5, **kwargs):  # type: ignore[no-untyped-def]
    """Retry a call on API-server errors other than 4xx (restarts, timeouts)."""
    for i in range(attempts):
        try:
            return fn(*args, **kwargs)
        except KubeError as e:
            if 400 <= (e.status or 0) < 500 or i == attempts - 1:
                raise
        except OSError:
            if i == attempts - 1:
                raise
        time.sleep(min(0.2 * 2 ** i, 2.0))
    return None
