"""An in-memory stand-in for ``KubeClient``, for API tests that need no cluster.

It keeps WhatsAppSession objects and Secrets in dicts, answers create/get/
merge-patch like the API server (409 on an existing name, 404 on a missing
one, increasing resourceVersions) and serves a watch that streams changes.
"""

from __future__ import annotations

import copy
import queue
import threading
from collections.abc import Iterator
from typing import Any

from mywhatsapp.common.kube_errors import Conflict, KubeError, NotFound


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class FakeKube:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.version = 100
        self.requests = 0
        self.lock = threading.Lock()
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.fail_creates = 0

    def _bump(self, obj: dict[str, Any]) -> None:
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)

    def get(self, path: str, *, query: Any = None) -> Any:
        with self.lock:
            self.requests += 1
            if path in self.objects:
                return copy.deepcopy(self.objects[path])
            items = [copy.deepcopy(o) for p, o in self.objects.items() if p.rsplit("/", 1)[0] == path]
            if path.endswith("whatsappsessions"):
                return {"items": items, "metadata": {"resourceVersion": str(self.version)}}
            raise NotFound(404, "NotFound")

    def create(self, path: str, body: dict[str, Any], *, query: Any = None) -> Any:
        with self.lock:
            self.requests += 1
            key = f"{path}/{body['metadata']['name']}"
            if key in self.objects:
                raise Conflict(409, "AlreadyExists")
            obj = copy.deepcopy(body)
            obj["spec"].setdefault("running", True)
            self._bump(obj)
            self.objects[key] = obj
            self.events.put({"type": "ADDED", "object": copy.deepcopy(obj)})
            return copy.deepcopy(obj)

    def merge_patch(self, path: str, body: dict[str, Any], *, query: Any = None) -> Any:
        with self.lock:
            self.requests += 1
            if path.endswith("/status"):
                path = path[: -len("/status")]
            if path not in self.objects:
                raise NotFound(404, "NotFound")
            obj = _merge(self.objects[path], body)
            self._bump(obj)
            self.events.put({"type": "MODIFIED", "object": copy.deepcopy(obj)})
            return copy.deepcopy(obj)

    def put_secret(self, namespace: str, name: str, data: dict[str, str]) -> None:
        self.objects[f"/api/v1/namespaces/{namespace}/secrets/{name}"] = {"metadata": {"name": name}, "data": data}

    def watch(self, path: str, *, resource_version: str, timeout_seconds: int) -> Iterator[dict[str, Any]]:
        while True:
            event = self.events.get()
            if event is None:
                return
            yield event

    def interrupt_watch(self) -> None:
        self.events.put(None)

    def close(self) -> None:
        pass


__all__ = ["FakeKube", "KubeError"]
