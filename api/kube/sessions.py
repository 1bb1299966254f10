"""Reads (from the cache) and writes (to the API server) of WhatsAppSession objects.

Creates use ``fieldValidation=Strict``; a 409 on create means the object
already exists (a concurrent Start won), so the existing one is fetched once
and returned: two Starts at once give one session. Every write puts the
API server's answer into the cache (``Reflector.observe``).
"""

from __future__ import annotations

import base64
from typing import Any

from mywhatsapp.common.kube_sync import KubeClient
from mywhatsapp.common.kube_errors import Conflict, KubeError
from mywhatsapp.api.kube.reflector import Reflector
from mywhatsapp.common import crd, names

Object = dict[str, Any]


def collection_path(namespace: str) -> str:
    return f"/apis/{crd.GROUP}/{crd.VERSION}/namespaces/{namespace}/{crd.PLURAL}"


class SessionStore:
    """The sessions of one namespace."""

    def __init__(self, kube: KubeClient, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self.collection = collection_path(namespace)
        self.cache = Reflector(kube, self.collection)

    def start(self) -> None:
        self.cache.start()

    def stop(self) -> None:
        self.cache.stop()

    def get(self, cr_name: str) -> Object | None:
        return self.cache.get(cr_name)

    def items(self) -> list[Object]:
        return self.cache.items()

    def create(self, manifest: Object) -> tuple[Object, bool]:
        """Create ``manifest``; return (object, True) or (the existing object, False)."""
        try:
            obj = self.kube.create(self.collection, manifest, query=[("fieldValidation", "Strict")])
        except Conflict:
            obj = self.kube.get(f"{self.collection}/{manifest['metadata']['name']}")
            self.cache.observe(obj)
            return obj, False
        self.cache.observe(obj)
        return obj, True

    def patch(self, cr_name: str, patch: Object) -> Object:
        """Merge-patch the object (spec/metadata); return the new object."""
        obj = self.kube.merge_patch(f"{self.collection}/{cr_name}", patch,
                                    query=[("fieldValidation", "Strict")])
        self.cache.observe(obj)
        return obj

    def internal_token(self, cr_name: str) -> str | None:
        """The session pod's bearer token from the session's Secret, or None."""
        try:
            secret = self.kube.get(f"/api/v1/namespaces/{self.namespace}/secrets/{names.secret_name(cr_name)}")
        except KubeError:
            return None
        value = (secret.get("data") or {}).get(crd.SECRET_KEY_INTERNAL_TOKEN)
        if not value:
            return None
        return base64.b64decode(value).decode("utf-8").strip()
