"""Test-side helpers over a real cluster: apply manifests, read objects, wait on conditions.

Waits poll a condition until a deadline and fail with the last seen value;
nothing sleeps and hopes.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from mywhatsapp.common.kube_errors import KubeError, NotFound
from mywhatsapp.common.kube_sync import KubeClient

T = TypeVar("T")


def wait_for(check: Callable[[], T], *, timeout: float = 60.0, what: str = "condition", interval: float = 0.2) -> T:
    """Return the first truthy result of `check`, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
            if last:
                if os.environ.get("WAIT_DEBUG"):
                    print(f"waited {time.monotonic() - deadline + timeout:.1f} s for {what}")
                return last
        except KubeError as e:
            last = f"API error {e.status}"
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last value: {last!r}")
        time.sleep(interval)


class Cluster:
    def __init__(self, kubeconfig: Path, *, local: Any) -> None:
        self.kubeconfig = kubeconfig
        self.local = local  # ClusterConfig of the project's local cluster, or None
        self.api = KubeClient.from_kubeconfig(kubeconfig)

    # --- kubectl, as a user would ------------------------------------------------------
    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        from mywhatsapp.localcluster.config import ClusterConfig

        exe = ClusterConfig(state_dir=Path(".")).binary("kubectl")
        proc = subprocess.run([str(exe), f"--kubeconfig={self.kubeconfig}", *args], input=input,
                              capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {proc.stderr}")
        return proc

    def apply(self, namespace: str, manifest: str | list[dict[str, Any]]) -> None:
        text = manifest if isinstance(manifest, str) else yaml.safe_dump_all(manifest)
        self.kubectl("apply", "-n", namespace, "-f", "-", input=text)

    def as_token(self, token: str) -> httpx.Client:
        """An HTTP client of the same API server that authenticates with `token` only."""
        cfg = self.api.configuration
        return httpx.Client(base_url=cfg.host, verify=ssl.create_default_context(cafile=cfg.ssl_ca_cert),
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)

    def token_for(self, namespace: str, service_account: str) -> str:
        out = self.api.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token",
                               {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                "spec": {"expirationSeconds": 600}})
        return str(out["status"]["token"])

    # --- API ------------------------------------------------------------------------------
    def get(self, path: str) -> Any | None:
        return self.api.get_or_none(path)

    def delete(self, path: str, **opts: Any) -> None:
        try:
            self.api.request("DELETE", path, {"apiVersion": "v1", "kind": "DeleteOptions", **opts})
        except NotFound:
            pass

    def create_namespace(self, name: str) -> None:
        self.api.request("POST", "/api/v1/namespaces",
                         {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    def pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        out = self.api.request("GET", f"/api/v1/namespaces/{namespace}/pods", query=[("labelSelector", selector)])
        return out["items"]

    def ready_pod(self, namespace: str, selector: str, *, timeout: float = 90.0,
                  exclude_uid: str | None = None) -> dict[str, Any]:
        """Wait for one Ready pod matching `selector` (and not `exclude_uid`); return it."""

        def check() -> dict[str, Any] | None:
            for p in self.pods(namespace, selector):
                conds = {c["type"]: c["status"] for c in (p.get("status") or {}).get("conditions") or []}
                if (conds.get("Ready") == "True" and p["metadata"]["uid"] != exclude_uid
                        and not p["metadata"].get("deletionTimestamp")):
                    return p
            return None

        return wait_for(check, timeout=timeout, what=f"a Ready pod {selector} in {namespace}")

    def pod_get(self, pod: dict[str, Any], port: int, path: str) -> Any:
        """GET `path` on the pod; return decoded JSON.

        Local pods are reached directly on their loopback address (the API
        server refuses to proxy to loopback addresses); other clusters' pods
        through the API server's pod proxy.
        """
        if self.local is not None:
            with urllib.request.urlopen(f"http://{pod['status']['podIP']}:{port}{path}", timeout=10) as resp:
                return json.loads(resp.read())
        meta = pod["metadata"]
        return self.api.get(f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}:{port}/proxy{path}")
