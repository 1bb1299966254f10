"""A watch-based cache of the WhatsAppSession objects of one namespace.

One background thread lists the objects, then watches from the list's
``resourceVersion``; on a 410 (too old), a dropped connection or any error it
lists again after a short back-off, so the cache heals itself. Reads
(``get``/``items``) never call the API server. Writers hand the object the
API server returned to ``observe`` so that a client reads its own write at
once, before the watch event arrives. Listeners get ``(name, old, new)``
for every change (``new`` None = deleted), in the watch thread.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from typing import Any

from mywhatsapp.common.kube_sync import KubeClient
from mywhatsapp.common.kube_errors import Gone, KubeError

log = logging.getLogger(__name__)

Object = dict[str, Any]
Listener = Callable[[str, Object | None, Object | None], None]

WATCH_SECONDS = 240
MAX_BACKOFF_SECONDS = 10.0


def _rv(obj: Object | None) -> int:
    try:
        return int(((obj or {}).get("metadata") or {}).get("resourceVersion") or 0)
    except ValueError:
        return 0


class Reflector:
    """Cache of one collection path, kept current by list + watch."""

    def __init__(self, kube: KubeClient, collection_path: str) -> None:
        self._kube = kube
        self._path = collection_path
        self._items: dict[str, Object] = {}
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._stop = threading.Event()
        self._synced = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.relists = 0

    # --- reads ---------------------------------------------------------------
    def get(self, name: str) -> Object | None:
        with self._lock:
            obj = self._items.get(name)
            return copy.deepcopy(obj) if obj is not None else None

    def items(self) -> list[Object]:
        with self._lock:
            return [copy.deepcopy(o) for o in self._items.values()]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    # --- writes seen by this process --------------------------------------------
    def observe(self, obj: Object) -> None:
        """Put an object the API server just returned (newer versions win)."""
        name = obj["metadata"]["name"]
        self._apply(name, obj)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # --- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="session-reflector", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._kube.interrupt_watch()
        if self._thread is not None:
            self._thread.join(timeout)

    # --- internals ------------------------------------------------------------
    def _apply(self, name: str, new: Object | None, *, force: bool = False) -> None:
        with self._lock:
            old = self._items.get(name)
            if new is None:
                if old is None:
                    return
                del self._items[name]
            else:
                if old is not None and not force and _rv(new) < _rv(old):
                    return
                self._items[name] = new
        if old is not None and new is not None and _rv(old) == _rv(new):
            return
        for listener in self._listeners:
            try:
                listener(name, old, new)
            except Exception:  # noqa: BLE001 - a listener must not stop the cache
                log.exception("session cache listener failed")

    def _relist(self) -> str:
        listing = self._kube.get(self._path)
        fresh = {o["metadata"]["name"]: o for o in listing.get("items") or []}
        with self._lock:
            gone = [n for n in self._items if n not in fresh]
        for name in gone:
            self._apply(name, None)
        for name, obj in fresh.items():
            self._apply(name, obj, force=True)
        self.relists += 1
        self._synced.set()
        return str(listing["metadata"]["resourceVersion"])

    def _run(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            try:
                version = self._relist()
                self.last_error = None
                while not self._stop.is_set():
                    version = self._watch_once(version)
                    backoff = 0.2
            except Gone:
                log.info("session watch expired; listing again")
            except (KubeError, ValueError, KeyError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                if not self._stop.is_set():
                    log.warning("session cache: %s; retrying in %.1f s", self.last_error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _watch_once(self, version: str) -> str:
        for event in self._kube.watch(self._path, resource_version=version, timeout_seconds=WATCH_SECONDS):
            if self._stop.is_set():
                break
            kind = event.get("type")
            obj = event.get("object") or {}
            if kind == "ERROR":
                if obj.get("code") == 410:
                    raise Gone(410, "Expired")
                raise KubeError(int(obj.get("code") or 0), str(obj.get("message")))
            version = str(obj.get("metadata", {}).get("resourceVersion") or version)
            if kind == "BOOKMARK":
                continue
            name = obj["metadata"]["name"]
            self._apply(name, None if kind == "DELETED" else obj)
        return version

