"""The one async client layer to the Kubernetes API used by the project's components.

Plain JSON in and out over aiohttp (kopf's own HTTP client; httpx's
connection pool cost more CPU than the operator's own work under load,
see docs/benchmarks.md), with the connection settings taken from the
kubernetes package's loaders (in-cluster service account, or KUBECONFIG).
HTTP status codes become the project's shared exceptions (`common.kube_errors`:
`NotFound`, `Conflict`, `Forbidden`, `Invalid`, `KubeError`), so callers can
treat "409 on create" and "404 on delete" as success on purpose. The
synchronous twin is `common.kube_sync`. The in-cluster token is re-read from its
file, since the kubelet rotates it.
"""

from __future__ import annotations

import json
import os
import ssl
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from mywhatsapp.common.kube_errors import Conflict, Forbidden, Invalid, KubeError, NotFound, error_for

__all__ = ["Conflict", "Forbidden", "Invalid", "Kube", "KubeError", "NotFound", "object_path"]

SA_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
MERGE = "application/merge-patch+json"
APPLY = "application/apply-patch+yaml"
JSON = "application/json"


def raise_for(status: int, reason: str, text: str) -> None:
    if status >= 400:
        raise error_for(status, reason, text)


def load_configuration(kubeconfig: str | None = None) -> k8s_client.Configuration:
    """In-cluster settings inside a pod, else the kubeconfig (KUBECONFIG or ~/.kube/config)."""
    cfg = k8s_client.Configuration()
    if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST") and SA_TOKEN.exists():
        k8s_config.load_incluster_config(client_configuration=cfg)
    else:
        k8s_config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
    return cfg


class Kube:
    """An async JSON client of one API server."""

    def __init__(self, cfg: k8s_client.Configuration, *, max_connections: int = 50, timeout: float = 30.0) -> None:
        ctx = ssl.create_default_context(cafile=cfg.ssl_ca_cert) if cfg.verify_ssl else ssl._create_unverified_context()  # noqa: S323
        if cfg.cert_file:
            ctx.load_cert_chain(cfg.cert_file, cfg.key_file)
        self._cfg = cfg
        self._ssl = ctx
        self._token: tuple[str, float] | None = None
        self._limit = max_connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self.base = cfg.host.rstrip("/")

    @property
    def http(self) -> aiohttp.ClientSession:
        """The session, made on first use (it must be created inside the event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self._ssl, limit=self._limit), timeout=self._timeout)
        return self._session

    @classmethod
    def from_environment(cls, kubeconfig: str | None = None, **kwargs: Any) -> "Kube":
        return cls(load_configuration(kubeconfig), **kwargs)

    def _auth(self) -> dict[str, str]:
        token = (self._cfg.api_key or {}).get("authorization") or (self._cfg.api_key or {}).get("BearerToken")
        if SA_TOKEN.exists() and os.environ.get("KUBERNETES_SERVICE_HOST") and not self._cfg.cert_file:
            if self._token is None or time.monotonic() - self._token[1] > 60:
                self._token = (f"Bearer {SA_TOKEN.read_text().strip()}", time.monotonic())
            return {"Authorization": self._token[0]}
        if token:
            return {"Authorization": token if token.startswith("Bearer ") else f"Bearer {token}"}
        return {}

    async def request(self, method: str, path: str, body: Any = None, *, content_type: str = JSON,
                      params: Mapping[str, str] | None = None) -> Any:
        headers = {"Accept": JSON, **self._auth()}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body)
        async with self.http.request(method, self.base + path, data=data, headers=headers, params=params) as resp:
            text = await resp.text()
        raise_for(resp.status, resp.reason or "", text)
        return json.loads(text) if text else None

    async def get(self, path: str, **params: str) -> Any:
        return await self.request("GET", path, params=params or None)

    async def get_or_none(self, path: str) -> Any | None:
        try:
            return await self.get(path)
        except NotFound:
            return None

    async def create(self, collection: str, body: Mapping[str, Any]) -> Any:
        return await self.request("POST", collection, body, params={"fieldValidation": "Strict"})

    async def merge_patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return await self.request("PATCH", path, body, content_type=MERGE)

    async def apply(self, path: str, body: Mapping[str, Any], *, manager: str) -> Any:
        """Server-side apply (creates when absent), taking ownership of the fields in `body`."""
        return await self.request("PATCH", path, body, content_type=APPLY,
                                  params={"fieldManager": manager, "force": "true", "fieldValidation": "Strict"})

    async def delete(self, path: str) -> bool:
        """Delete; False if it was already gone."""
        try:
            await self.request("DELETE", path)
            return True
        except NotFound:
            return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def object_path(api_version: str, plural: str, namespace: str | None, name: str | None = None) -> str:
    """REST path of a collection (name=None) or an object."""
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    ns = f"/namespaces/{namespace}" if namespace else ""
    return f"{base}{ns}/{plural}" + (f"/{name}" if name else "")
