"""The life of one pod on the local node, in one thread.

Volumes → init containers in order → containers (restarted per restartPolicy
with back-off) → probes → status patches when something changed → on
deletion: SIGTERM, grace period, SIGKILL, then the final delete.
"""

from __future__ import annotations

import copy
import logging
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mywhatsapp.common.kube_errors import KubeError

from . import volumes as vol
from .api import KubeletApi, now_rfc3339, retrying
from .container import IMAGE_REPOSITORY, Container, runnable_image
from .envvars import ConfigError, container_env

log = logging.getLogger("kubelet.worker")


class PodWorker(threading.Thread):
    def __init__(self, pod: Mapping[str, Any], *, api: KubeletApi, pods_dir: Path, pod_ip: str, host_ip: str,
                 base_env: Mapping[str, str], node_alloc: Mapping[str, str],
                 on_exit: Callable[["PodWorker"], None]) -> None:
        meta = pod["metadata"]
        super().__init__(name=f"pod-{meta['namespace']}/{meta['name']}", daemon=True)
        self.uid: str = meta["uid"]
        self.pod = copy.deepcopy(dict(pod))
        self.api, self.pod_ip, self.host_ip = api, pod_ip, host_ip
        self.base_env, self.node_alloc, self.on_exit = base_env, node_alloc, on_exit
        self.dir = pods_dir / f"{meta['namespace']}_{meta['name']}_{self.uid}"
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.gone = False  # the API object no longer exists
        self.shutdown = False  # the kubelet is stopping
        spec = self.pod["spec"]
        self.restart_policy = spec.get("restartPolicy", "Always")
        logs = self.dir / "logs"
        self.inits = [Container(c, logs / f"{c['name']}.log", init=True) for c in spec.get("initContainers") or []]
        self.containers = [Container(c, logs / f"{c['name']}.log") for c in spec.get("containers") or []]
        self.volumes: vol.PodVolumes | None = None
        self.start_time = (pod.get("status") or {}).get("startTime") or now_rfc3339()
        self.reason: tuple[str, str] | None = None  # pod-level waiting reason/message
        self.last_status: dict[str, Any] | None = None
        self.transitions: dict[str, tuple[str, str]] = {}
        self.events_sent: set[str] = set()

    # --- inputs from the watch ----------------------------------------------------
    def update(self, pod: Mapping[str, Any]) -> None:
        with self.lock:
            self.pod = copy.deepcopy(dict(pod))
        self.wake.set()

    def deleted(self) -> None:
        self.gone = True
        self.wake.set()

    def stop(self) -> None:
        self.shutdown = True
        self.wake.set()

    # --- helpers --------------------------------------------------------------------
    @property
    def ns(self) -> str:
        return str(self.pod["metadata"]["namespace"])

    @property
    def pod_name(self) -> str:
        return str(self.pod["metadata"]["name"])

    def _event_once(self, key: str, reason: str, message: str, warning: bool = False) -> None:
        if key not in self.events_sent:
            self.events_sent.add(key)
            self.api.event(self.pod, reason, message, warning=warning)

    def _pod_with_ip(self) -> dict[str, Any]:
        pod = copy.deepcopy(self.pod)
        pod.setdefault("status", {}).update({"podIP": self.pod_ip, "podIPs": [{"ip": self.pod_ip}],
                                              "hostIP": self.host_ip})
        return pod

    def _lookup(self, kind: str, name: str) -> Mapping[str, str] | None:
        return self.api.object_data(self.ns, kind, name)

    # --- main loop --------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._loop()
        except Exception:  # noqa: BLE001 - a worker must never take the kubelet down
            log.exception("pod %s/%s worker crashed", self.ns, self.pod_name)
        finally:
            self._kill_all(grace=2.0)
            self.on_exit(self)

    def _deleting(self) -> bool:
        return bool(self.pod["metadata"].get("deletionTimestamp"))

    def _loop(self) -> None:
        bad = [c.spec.get("image", "") for c in self.inits + self.containers if not runnable_image(c.spec.get("image", ""))]
        while True:
            self.wake.clear()
            if self.shutdown:
                self._kill_all(grace=self._grace(cap=10.0))
                return
            if self.gone or self._deleting():
                self._terminate()
                return
            if bad:
                msg = (f"image {bad[0]!r} cannot run here: the local kubelet runs only "
                       f"{IMAGE_REPOSITORY} images, as local processes")
                for c in self.inits + self.containers:
                    c.wait("ErrImageNeverPull", msg)
                self.reason = ("ErrImageNeverPull", msg)
                self._event_once("image", "ErrImageNeverPull", msg, warning=True)
            elif self._ensure_volumes():
                self._tick()
            self._report()
            self.wake.wait(self._sleep_for())

    def _sleep_for(self) -> float:
        now = time.monotonic()
        active = [c for c in self.inits + self.containers if not c.done]
        nxt = min([c.next_due() for c in active] + [now + 1.0])
        if self.volumes:
            nxt = min([nxt] + [t.refresh_at for t in self.volumes.tokens])
        return max(0.05, min(1.0, nxt - now))

    def _ensure_volumes(self) -> bool:
        if self.volumes is not None:
            for token in self.volumes.tokens:
                if time.monotonic() >= token.refresh_at:
                    try:
                        vol.refresh_token(self.pod, token, self.api)
                    except (KubeError, OSError) as e:
                        log.warning("token refresh for %s/%s failed: %s", self.ns, self.pod_name, e)
                        token.refresh_at = time.monotonic() + 10
            return True
        try:
            self.volumes = vol.prepare(self._pod_with_ip(), self.dir, self.api)
            self.reason = None
            return True
        except (ConfigError, KubeError) as e:
            msg = str(e) if isinstance(e, ConfigError) else f"API error {e.status}"
            self.reason = ("ContainerCreating", msg)
            for c in self.inits + self.containers:
                c.wait("ContainerCreating", msg)
            self._event_once(f"mount:{msg}", "FailedMount", msg, warning=True)
            return False

    def _start(self, c: Container) -> None:
        assert self.volumes is not None  # noqa: S101 - internal invariant, checked by _ensure_volumes
        try:
            env = container_env(self._pod_with_ip(), c.spec, base=self.base_env, lookup=self._lookup,
                                node_alloc=self.node_alloc)
            mounts = vol.mounts(c.spec, self.volumes)
        except ConfigError as e:
            c.wait("CreateContainerConfigError", str(e))
            c.next_start = time.monotonic() + 1.0
            self._event_once(f"config:{c.name}:{e}", "Failed", f"Error: {e}", warning=True)
            return
        env.setdefault("HOSTNAME", self.pod["spec"].get("hostname") or self.pod_name)
        c.start(env=env, mounts=mounts, plan_dir=self.dir / "plans")
        self.api.event(self.pod, "Started", f"Started container {c.name} (pid {c.proc.pid if c.proc else '?'})")

    def _tick(self) -> None:
        now = time.monotonic()
        # Init containers: one at a time, in order, each to success.
        for c in self.inits:
            if c.done:
                if c.state.get("terminated", {}).get("exitCode") != 0:
                    return  # restartPolicy Never and an init container failed: pod Failed
                continue
            code = c.reap("Never" if self.restart_policy == "Never" else "OnFailure")
            if code is not None or c.running:
                if not c.done:
                    return
                continue
            if now >= c.next_start:
                self._start(c)
            return
        for c in self.containers:
            code = c.reap(self.restart_policy)
            if code is not None and c.backoff:
                self.api.event(self.pod, "BackOff", f"Back-off restarting failed container {c.name}", warning=True)
            if c.running:
                if c.probe_tick(self.pod_ip, now) == "restart":
                    self.api.event(self.pod, "Unhealthy", f"Container {c.name} failed its probe; restarting",
                                   warning=True)
                    c.kill(self._grace())
                    c.reap("Always")
            elif not c.done and c.proc is None and now >= c.next_start:
                self._start(c)

    # --- termination ------------------------------------------------------------------
    def _grace(self, cap: float | None = None) -> float:
        meta, spec = self.pod["metadata"], self.pod["spec"]
        grace = meta.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        grace = float(grace)
        return min(grace, cap) if cap is not None else grace

    def _kill_all(self, grace: float) -> None:
        running = [c for c in self.inits + self.containers if c.proc is not None]
        if not running:
            return
        threads = [threading.Thread(target=c.kill, args=(grace,)) for c in running]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _terminate(self) -> None:
        if any(c.proc for c in self.inits + self.containers):
            self.api.event(self.pod, "Killing", "Stopping containers")
        self._kill_all(self._grace())
        if not self.gone:
            retrying(self.api.delete_pod_now, self.ns, self.pod_name, self.uid)
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- status -------------------------------------------------------------------------
    def _condition(self, ctype: str, ok: bool, reason: str = "") -> dict[str, Any]:
        status = "True" if ok else "False"
        prev = self.transitions.get(ctype)
        if prev is None or prev[0] != status:
            self.transitions[ctype] = (status, now_rfc3339())
        cond = {"type": ctype, "status": status, "lastTransitionTime": self.transitions[ctype][1]}
        if reason and not ok:
            cond["reason"] = reason
        return cond

    def _phase(self) -> str:
        if any(c.done and c.state["terminated"]["exitCode"] != 0 for c in self.inits):
            return "Failed"
        if self.containers and all(c.done for c in self.containers):
            codes = [c.state["terminated"]["exitCode"] for c in self.containers]
            return "Succeeded" if all(code == 0 for code in codes) else "Failed"
        if all(c.done for c in self.inits) and any(c.running or c.restart_count or c.done for c in self.containers):
            return "Running"
        return "Pending"

    def status(self) -> dict[str, Any]:
        inits_done = all(c.done for c in self.inits)
        ready = inits_done and all(c.ready for c in self.containers)
        scheduled = [c for c in (self.pod.get("status") or {}).get("conditions") or [] if c["type"] == "PodScheduled"]
        conditions = scheduled + [
            self._condition("Initialized", inits_done, "ContainersNotInitialized"),
            self._condition("ContainersReady", ready, "ContainersNotReady"),
            self._condition("Ready", ready, "ContainersNotReady"),
        ]
        status: dict[str, Any] = {
            "phase": self._phase(), "conditions": conditions,
            "hostIP": self.host_ip, "hostIPs": [{"ip": self.host_ip}],
            "podIP": self.pod_ip, "podIPs": [{"ip": self.pod_ip}],
            "startTime": self.start_time,
            "containerStatuses": [c.status() for c in self.containers],
        }
        if self.inits:
            status["initContainerStatuses"] = [c.status() for c in self.inits]
        if self.reason:
            status["reason"], status["message"] = self.reason
        else:
            status["reason"], status["message"] = None, None
        return status

    def _report(self) -> None:
        status = self.status()
        if status == self.last_status:
            return
        try:
            retrying(self.api.patch_pod_status, self.ns, self.pod_name, status)
            self.last_status = status
        except KubeError as e:
            if e.status == 404:
                self.gone = True
            else:
                log.warning("status of %s/%s not written: %s", self.ns, self.pod_name, e.status)
