"""List-then-watch loops over raw JSON, resuming from the last resourceVersion.

`handler(kind, obj)` gets ("ADDED"|"MODIFIED"|"DELETED", object) for watch
events and ("RELIST", {"items": [...]}) after every full list, so the caller
can also notice objects that vanished while the watch was down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from mywhatsapp.common.kube_errors import KubeError

from .api import KubeletApi

log = logging.getLogger("kubelet.informer")
Handler = Callable[[str, dict[str, Any]], None]


def run(api: KubeletApi, path: str, handler: Handler, stop: threading.Event, *, timeout: int = 240) -> None:
    rv: str | None = None
    while not stop.is_set():
        try:
            if rv is None:
                listing = api.request("GET", path)
                rv = listing["metadata"]["resourceVersion"]
                handler("RELIST", listing)
            for event in api.watch(path, resource_version=rv, timeout_seconds=timeout):
                if stop.is_set():
                    return
                obj = event["object"]
                if event["type"] == "ERROR":
                    if obj.get("code") == 410:
                        rv = None
                    break
                rv = obj["metadata"].get("resourceVersion", rv)
                if event["type"] != "BOOKMARK":
                    handler(event["type"], obj)
        except KubeError as e:
            if e.status == 410:
                rv = None
            else:
                log.warning("watch %s: API error %s", path, e.status)
                stop.wait(1.0)
        except Exception as e:  # noqa: BLE001 - keep watching through API-server restarts
            log.warning("watch %s: %s", path, e)
            rv = None
            stop.wait(1.0)


def start(api: KubeletApi, path: str, handler: Handler, stop: threading.Event) -> threading.Thread:
    t = threading.Thread(target=run, args=(api, path, handler, stop), name=f"watch {path}", daemon=True)
    t.start()
    return t
