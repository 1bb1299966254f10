"""A small kube-proxy for NodePort Services: <node address>:<nodePort> → a Ready pod of the Service.

The local cluster has no kube-proxy, and EndpointSlices cannot hold loopback
addresses, so the kubelet resolves a Service's endpoints from the pods it
runs itself (selector, Ready condition, pod IP, named or numbered target
port). A NodePort Service thus gets a stable local address that survives pod
restarts and rollouts, e.g. the API's URL in `.localcluster/api-url`. The
node address is 127.<pod net>.255.254 (see config.ClusterConfig.node_address),
so two local clusters can serve the same node port side by side.
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("kubelet.proxy")
PodSnapshot = Callable[[], list[Mapping[str, Any]]]


def _ready(pod: Mapping[str, Any]) -> bool:
    conds = (pod.get("status") or {}).get("conditions") or []
    return bool((pod.get("status") or {}).get("podIP")) and not pod["metadata"].get("deletionTimestamp") and any(
        c["type"] == "Ready" and c["status"] == "True" for c in conds)


def target_port(pod: Mapping[str, Any], target: Any) -> int | None:
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for c in pod["spec"].get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target:
                return int(p["containerPort"])
    return None


def endpoints(service: Mapping[str, Any], port: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """Ready (ip, port) pairs behind one port of `service` (pure)."""
    ns = service["metadata"]["namespace"]
    selector = (service.get("spec") or {}).get("selector") or {}
    if not selector:
        return []
    out = []
    for pod in pods:
        labels = pod["metadata"].get("labels") or {}
        if pod["metadata"]["namespace"] != ns or any(labels.get(k) != v for k, v in selector.items()):
            continue
        if not _ready(pod):
            continue
        tp = target_port(pod, port.get("targetPort", port["port"]))
        if tp:
            out.append((pod["status"]["podIP"], tp))
    return sorted(out)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (dst, src):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class NodePort(threading.Thread):
    """Listens on one node port and forwards each connection to an endpoint."""

    def __init__(self, host: str, node_port: int, resolve: Callable[[], list[tuple[str, int]]]) -> None:
        super().__init__(name=f"nodeport-{node_port}", daemon=True)
        self.node_port, self.resolve = node_port, resolve
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, node_port))
        self.sock.listen(128)
        self.turn = itertools.count()

    def run(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        targets = self.resolve()
        if not targets:
            client.close()
            return
        ip, port = targets[next(self.turn) % len(targets)]
        try:
            upstream = socket.create_connection((ip, port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)

    def close(self) -> None:
        self.sock.close()


class Proxy:
    """Keeps one `NodePort` listener per NodePort of every Service."""

    def __init__(self, pods: PodSnapshot, host: str) -> None:
        self.pods, self.host = pods, host
        self.services: dict[tuple[str, str], Mapping[str, Any]] = {}
        self.listeners: dict[int, NodePort] = {}
        self.lock = threading.Lock()

    def on_service(self, kind: str, obj: dict[str, Any]) -> None:
        with self.lock:
            if kind == "RELIST":
                self.services = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in obj["items"]}
            elif kind == "DELETED":
                self.services.pop((obj["metadata"]["namespace"], obj["metadata"]["name"]), None)
            else:
                self.services[(obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj
            self._sync()

    def _sync(self) -> None:
        wanted: dict[int, tuple[tuple[str, str], Mapping[str, Any]]] = {}
        for key, svc in self.services.items():
            if (svc.get("spec") or {}).get("type") not in ("NodePort", "LoadBalancer"):
                continue
            for port in svc["spec"].get("ports") or []:
                if port.get("nodePort"):
                    wanted[int(port["nodePort"])] = (key, port)
        for node_port in set(self.listeners) - set(wanted):
            self.listeners.pop(node_port).close()
        for node_port, (key, port) in wanted.items():
            if node_port in self.listeners:
                continue

            def resolve(key: tuple[str, str] = key, port: Mapping[str, Any] = port) -> list[tuple[str, int]]:
                svc = self.services.get(key)
                return endpoints(svc, port, self.pods()) if svc else []

            try:
                listener = NodePort(self.host, node_port, resolve)
            except OSError as e:
                log.warning("cannot listen on node port %s: %s", node_port, e)
                continue
            listener.start()
            self.listeners[node_port] = listener
            log.info("node port %s:%s → service %s/%s", self.host, node_port, *key)
