"""The synchronous JSON client of the Kubernetes API (the facade, the local-cluster tooling, the tests).

Plain dicts in and out (no generated models), errors as ``common.kube_errors``
exceptions (shared with the async client in ``common.kube``), and a streaming
``watch``. Configuration comes from the pod's service account when
``KUBERNETES_SERVICE_HOST`` is set, else from the given kubeconfig or
``KUBECONFIG`` (or ``~/.kube/config``). ``requests`` counts calls, for
``/metrics`` and the benchmark.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from mywhatsapp.common.kube_errors import KubeError, NotFound, error_for

Query = list[tuple[str, str]]


def load_configuration(kubeconfig: Path | None = None) -> client.Configuration:
    """In-cluster configuration, or the given / ``$KUBECONFIG`` kubeconfig file."""
    cfg = client.Configuration()
    if kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config(client_configuration=cfg)
    else:
        path = kubeconfig or os.environ.get("KUBECONFIG") or None
        config.load_kube_config(config_file=str(path) if path else None, client_configuration=cfg)
    cfg.connection_pool_maxsize = 32
    return cfg


class KubeClient:
    """GET/POST/PATCH/watch of JSON documents on one API server."""

    def __init__(self, configuration: client.Configuration) -> None:
        self._api = client.ApiClient(configuration)
        self._lock = threading.Lock()
        self.requests = 0

    @classmethod
    def from_kubeconfig(cls, kubeconfig: Path, *, pool: int = 32) -> "KubeClient":
        cfg = load_configuration(kubeconfig)
        cfg.connection_pool_maxsize = pool
        return cls(cfg)

    @property
    def configuration(self) -> client.Configuration:
        return self._api.configuration

    def close(self) -> None:
        self._api.close()

    def _open(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
              query: Query | None = None, timeout: Any = 15, stream: bool = False) -> Any:
        with self._lock:
            self.requests += 1
        _, url, headers, data, _ = self._api.param_serialize(
            method, path, query_params=query or [],
            header_params={"Accept": "application/json", "Content-Type": content_type},
            body=body, auth_settings=["BearerToken"])
        try:
            resp = self._api.call_api(method, url, header_params=headers, body=data,
                                      _request_timeout=timeout)
        except ApiException as exc:
            raise error_for(exc.status or 0, exc.reason or "", exc.body) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubeError(0, f"API server unreachable: {type(exc).__name__}") from exc
        if resp.status >= 400:
            raise error_for(resp.status, resp.reason or "", resp.read())
        if stream:
            return resp.response
        raw = resp.read()
        return json.loads(raw) if raw else None

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                query: Query | None = None) -> Any:
        """Any request; the decoded JSON answer (None if empty)."""
        return self._open(method, path, body, content_type=content_type, query=query)

    def get(self, path: str, *, query: Query | None = None) -> Any:
        return self._open("GET", path, query=query)

    def get_or_none(self, path: str) -> Any | None:
        """The object at ``path``, or None if it does not exist."""
        try:
            return self.get(path)
        except NotFound:
            return None

    def delete(self, path: str, body: dict[str, Any] | None = None) -> bool:
        """Delete; False if it was already gone."""
        try:
            self._open("DELETE", path, body)
            return True
        except NotFound:
            return False

    def create(self, path: str, body: dict[str, Any], *, query: Query | None = None) -> Any:
        return self._open("POST", path, body, query=query)

    def merge_patch(self, path: str, body: dict[str, Any], *, query: Query | None = None) -> Any:
        return self._open("PATCH", path, body, content_type="application/merge-patch+json", query=query)

    def watch(self, path: str, *, resource_version: str, timeout_seconds: int) -> Iterator[dict[str, Any]]:
        """Yield the events of one watch request until the server ends it."""
        query = [("watch", "true"), ("resourceVersion", resource_version),
                 ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(timeout_seconds))]
        response = self._open("GET", path, query=query, timeout=(10, timeout_seconds + 30), stream=True)
        self.current_watch = response
        try:
            pending = b""
            for chunk in response.stream(64 * 1024, decode_content=True):
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise KubeError(0, f"watch interrupted: {type(exc).__name__}") from exc
        finally:
            self.current_watch = None
            response.release_conn()

    current_watch: Any = None

    def interrupt_watch(self) -> None:
        """End the watch in progress (used at shutdown)."""
        response = self.current_watch
        if response is not None:
            try:
                response.shutdown()
            except (OSError, AttributeError):
                response.close()
