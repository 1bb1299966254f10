"""The one place the session pod talks to Kubernetes: patching its own CR's status.

Production uses the in-cluster configuration of the kubernetes client (the
pod's service-account token, refreshed as the kubelet rotates it, the cluster
CA, ``KUBERNETES_SERVICE_HOST``/``PORT``). The pod's Role allows exactly
``get`` and ``patch`` on its own ``whatsappsessions/status`` and ``get`` on its
own ``whatsappsessions`` (read for the webhook URLs). Tests may point
``STATUS_API_URL`` at a plain-HTTP stand-in instead. Calls run in a worker
thread with a timeout, so a slow API server never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from mywhatsapp.common import crd

REQUEST_TIMEOUT = 10.0


class StatusPatchError(RuntimeError):
    """The API server refused or did not answer a status patch."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def status_path(namespace: str, name: str) -> str:
    """URL path of the CR's status subresource."""
    return (
        f"/apis/{crd.GROUP}/{crd.VERSION}/namespaces/{namespace}/{crd.PLURAL}/{name}/status"
    )


def client_configuration(api_url: str | None) -> client.Configuration:
    """In-cluster configuration, or a plain one for ``api_url`` (tests)."""
    configuration = client.Configuration()
    if api_url:
        configuration.host = api_url
    else:
        config.load_incluster_config(client_configuration=configuration)
    return configuration


class KubeStatusTransport:
    """``StatusTransport`` over the kubernetes client (merge patch of ``/status``)."""

    def __init__(self, *, namespace: str, name: str, api_url: str | None = None) -> None:
        self._namespace = namespace
        self._name = name
        self._client = client.ApiClient(client_configuration(api_url))
        self._api = client.CustomObjectsApi(self._client)

    def _patch(self, body: dict[str, Any]) -> None:
        try:
            self._api.patch_namespaced_custom_object_status(
                crd.GROUP,
                crd.VERSION,
                self._namespace,
                crd.PLURAL,
                self._name,
                body,
                _content_type="application/merge-patch+json",
                _request_timeout=REQUEST_TIMEOUT,
            )
        except ApiException as error:
            reason = error.reason
            try:
                reason = json.loads(error.body or "{}").get("message") or reason
            except ValueError:
                pass
            raise StatusPatchError(f"HTTP {error.status}: {reason}", status=error.status) from error
        except Exception as error:  # urllib3 connection errors and timeouts
            raise StatusPatchError(f"{type(error).__name__}: {error}") from error

    async def patch_status(self, body: dict[str, Any]) -> None:
        await asyncio.to_thread(self._patch, body)

    def _get(self) -> dict[str, Any]:
        try:
            answer = self._api.get_namespaced_custom_object(
                crd.GROUP, crd.VERSION, self._namespace, crd.PLURAL, self._name,
                _request_timeout=REQUEST_TIMEOUT,
            )
        except ApiException as error:
            raise StatusPatchError(f"HTTP {error.status}: {error.reason}", status=error.status) from error
        except Exception as error:  # urllib3 connection errors and timeouts
            raise StatusPatchError(f"{type(error).__name__}: {error}") from error
        if not isinstance(answer, dict):
            raise StatusPatchError(f"unexpected answer: {type(answer).__name__}")
        return answer

    async def get_session(self) -> dict[str, Any]:
        """The pod's own WhatsAppSession (for ``spec.webhooks`` and the SessionName)."""
        return await asyncio.to_thread(self._get)

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()
