"""The local kubelet: one Ready node whose pods are local processes.

It also plays the two cluster parts this machine lacks: the scheduler (binds
every pending pod to the local node) and the `local` volume provisioner. Each
pod gets its own loopback address (127.N.x.y) and a `PodWorker` thread.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from mywhatsapp.common.kube_errors import KubeError

from ..config import NODE_NAME, ClusterConfig
from ..processes import MARKER
from ..pki import Pki
from . import informer, logserver, node, provisioner
from .api import KubeletApi, retrying
from .proxy import Proxy
from .worker import PodWorker

log = logging.getLogger("kubelet")
HEARTBEAT_SECONDS = 10.0


class IpPool:
    """Loopback addresses 127.<net>.0.1 … 127.<net>.255.254, one per live pod."""

    def __init__(self, net: int) -> None:
        self.network = ipaddress.ip_network(f"127.{net}.0.0/16")
        self.used: set[str] = {f"127.{net}.255.254"}  # the node address (NodePorts)
        self.lock = threading.Lock()

    def take(self, wanted: str | None = None) -> str:
        with self.lock:
            if wanted and ipaddress.ip_address(wanted) in self.network and wanted not in self.used:
                self.used.add(wanted)
                return wanted
            for ip in self.network.hosts():
                s = str(ip)
                if s not in self.used and not s.endswith((".0", ".255")):
                    self.used.add(s)
                    return s
        raise RuntimeError("no free pod address left")

    def give_back(self, ip: str) -> None:
        with self.lock:
            self.used.discard(ip)


class Kubelet:
    def __init__(self, cfg: ClusterConfig) -> None:
        self.cfg = cfg
        self.api = KubeletApi(cfg.kubeconfig, NODE_NAME)
        self.ips = IpPool(cfg.pod_net)
        self.workers: dict[str, PodWorker] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        venv_bin = str(Path(sys.executable).parent)
        self.base_env = {
            "PATH": f"{venv_bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root", "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1",
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(cfg.apiserver_port),
            "KUBERNETES_SERVICE_PORT_HTTPS": str(cfg.apiserver_port),
            "KUBERNETES_PORT": f"tcp://127.0.0.1:{cfg.apiserver_port}",
            MARKER: str(cfg.state_dir),
        }
        self.node_alloc = node.capacity()
        self.all_pods: dict[str, dict[str, Any]] = {}
        self.proxy = Proxy(lambda: list(self.all_pods.values()), cfg.node_address)

    # --- pods ---------------------------------------------------------------------------
    def on_pod(self, kind: str, pod: dict[str, Any]) -> None:
        if kind == "RELIST":
            items = pod["items"]
            live = {p["metadata"]["uid"] for p in items}
            with self.lock:
                vanished = [w for uid, w in self.workers.items() if uid not in live]
            for w in vanished:
                w.deleted()
            self.all_pods = {p["metadata"]["uid"]: p for p in items}
            for p in items:
                self.on_pod("MODIFIED", p)
            return
        meta, spec = pod["metadata"], pod["spec"]
        uid = meta["uid"]
        if kind == "DELETED":
            self.all_pods.pop(uid, None)
        else:
            self.all_pods[uid] = pod
        if kind == "DELETED":
            with self.lock:
                w = self.workers.get(uid)
            if w:
                w.deleted()
            return
        if not spec.get("nodeName"):
            if spec.get("schedulerName", "default-scheduler") == "default-scheduler" and not meta.get("deletionTimestamp"):
                self._bind(pod)
            return
        if spec["nodeName"] != NODE_NAME:
            return
        with self.lock:
            w = self.workers.get(uid)
            if w is None:
                phase = (pod.get("status") or {}).get("phase")
                if phase in ("Succeeded", "Failed") and not meta.get("deletionTimestamp"):
                    return  # finished before a kubelet restart: nothing to run
                ip = self.ips.take((pod.get("status") or {}).get("podIP"))
                w = PodWorker(pod, api=self.api, pods_dir=self.cfg.pods_dir, pod_ip=ip, host_ip="127.0.0.1",
                              base_env=self.base_env, node_alloc=self.node_alloc, on_exit=self._worker_done)
                self.workers[uid] = w
                w.start()
                return
        w.update(pod)

    def _worker_done(self, w: PodWorker) -> None:
        with self.lock:
            self.workers.pop(w.uid, None)
        self.ips.give_back(w.pod_ip)

    def _bind(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        try:
            retrying(self.api.bind, meta["namespace"], meta["name"])
            self.api.event(pod, "Scheduled", f"Successfully assigned {meta['namespace']}/{meta['name']} to {NODE_NAME}")
        except KubeError as e:
            if e.status not in (404, 409):
                log.warning("binding %s/%s failed: %s", meta["namespace"], meta["name"], e.status)

    # --- volumes --------------------------------------------------------------------------
    def on_pvc(self, kind: str, pvc: dict[str, Any]) -> None:
        items = pvc["items"] if kind == "RELIST" else ([pvc] if kind != "DELETED" else [])
        for claim in items:
            if provisioner.wants_volume(claim):
                try:
                    provisioner.provision(self.api, claim, self.cfg.volumes_dir)
                except KubeError as e:
                    log.warning("provisioning for %s failed: %s", claim["metadata"]["name"], e.status)

    def on_pv(self, kind: str, pv: dict[str, Any]) -> None:
        items = pv["items"] if kind == "RELIST" else ([pv] if kind != "DELETED" else [])
        for vol in items:
            try:
                provisioner.reclaim(self.api, vol, self.cfg.volumes_dir)
            except KubeError as e:
                log.warning("reclaiming %s failed: %s", vol["metadata"]["name"], e.status)

    # --- run ----------------------------------------------------------------------------------
    def find_log(self, namespace: str, pod: str, container: str) -> Path | None:
        """The log file of a container of a pod running here (for `kubectl logs`)."""
        for folder in self.cfg.pods_dir.glob(f"{namespace}_{pod}_*"):
            return folder / "logs" / f"{container}.log"
        return None

    def run(self) -> None:
        pki = Pki(self.cfg.pki_dir)
        self.logs = logserver.serve(host="127.0.0.1", port=self.cfg.kubelet_port, cert=pki.cert("kubelet"),
                                    key=pki.key("kubelet"), ca=pki.ca_cert, find=self.find_log)
        retrying(node.register, self.api, self.cfg.kubelet_port, attempts=20)
        retrying(node.ensure_storage_class, self.api, attempts=20)
        informer.start(self.api, "/api/v1/pods", self.on_pod, self.stop)
        informer.start(self.api, "/api/v1/persistentvolumeclaims", self.on_pvc, self.stop)
        informer.start(self.api, "/api/v1/persistentvolumes", self.on_pv, self.stop)
        informer.start(self.api, "/api/v1/services", self.proxy.on_service, self.stop)
        log.info("local kubelet ready: node %s, pods on %s", NODE_NAME, self.ips.network)
        while not self.stop.wait(HEARTBEAT_SECONDS):
            try:
                node.heartbeat(self.api, self.cfg.kubelet_port)
            except Exception as e:  # noqa: BLE001 - the API server may be restarting
                log.warning("heartbeat failed: %s", e)

    def shutdown(self) -> None:
        """Stop every pod's processes (the pods stay in the API, as when a node goes down)."""
        self.stop.set()
        with self.lock:
            workers = list(self.workers.values())
        for w in workers:
            w.stop()
        for w in workers:
            w.join(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--port-base", type=int, default=16000)
    parser.add_argument("--pod-net", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("KUBELET_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    cfg = ClusterConfig(state_dir=args.state_dir.resolve(), port_base=args.port_base, pod_net=args.pod_net)
    kubelet = Kubelet(cfg)
    signal.signal(signal.SIGTERM, lambda *_: kubelet.stop.set())
    signal.signal(signal.SIGINT, lambda *_: kubelet.stop.set())
    runner = threading.Thread(target=kubelet.run, name="kubelet", daemon=True)
    runner.start()
    kubelet.stop.wait()
    kubelet.shutdown()
    log.info("local kubelet stopped")


if __name__ == "__main__":
    main()
