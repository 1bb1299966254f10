"""A small JSON client for the Kubernetes API, built from a kubeconfig file.

The local-cluster tooling and the cluster tests talk to the API server with
plain dicts (no generated model classes): exact for patches, easy to compare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException


class RawClient:
    """GET/POST/PATCH/DELETE of JSON documents on one API server."""

    def __init__(self, kubeconfig: Path, *, pool: int = 32) -> None:
        cfg = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
        cfg.connection_pool_maxsize = pool
        self.api = client.ApiClient(cfg)

    def open(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
             query: list[tuple[str, str]] | None = None, timeout: Any = 30) -> Any:
        """Send one request; return the open urllib3 response, raising ApiException on >= 400."""
        _, url, headers, data, _ = self.api.param_serialize(
            method, path, query_params=query or [],
            header_params={"Accept": "application/json, */*", "Content-Type": content_type},
            body=body, auth_settings=["BearerToken"])
        resp = self.api.call_api(method, url, header_params=headers, body=data, _request_timeout=timeout)
        if resp.status >= 400:
            raise ApiException(status=resp.status, reason=resp.reason, body=resp.read())
        return resp.response

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                query: list[tuple[str, str]] | None = None) -> Any:
        raw = self.open(method, path, body, content_type=content_type, query=query).data
        return json.loads(raw) if raw else None

    def get(self, path: str) -> Any | None:
        """The object at `path`, or None if it does not exist."""
        try:
            return self.request("GET", path)
        except ApiException as e:
            if e.status == 404:
                return None
            raise

    def merge_patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body, content_type="application/merge-patch+json")
