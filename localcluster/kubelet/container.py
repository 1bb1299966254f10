"""One container of a pod as a local process: start, watch, probe, kill, report.

The process is `unshare --mount` + `podinit`, in its own session (so the whole
process group can be signalled), with stdout/stderr appended to the
container's log file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import REPO_ROOT
from .api import now_rfc3339
from .probes import ProbeState, new_probe, run_probe

IMAGE_REPOSITORY = "mywhatsapp-operator"
# The image's CMD (see Dockerfile): what runs when a container gives neither command nor args.
IMAGE_CMD = ["mywhatsapp-api"]
BACKOFF_START, BACKOFF_MAX = 1.0, 30.0
# What the "image" is made of on this host: the virtualenv, the Python it
# was made from, and the checkout the editable install points into.
KEEP_VISIBLE = sorted({sys.prefix, sys.base_prefix, str(REPO_ROOT)})
QUICK_EXIT = 10.0  # a run shorter than this counts towards crash-loop back-off


def runnable_image(image: str) -> bool:
    """True for `[registry/path/]mywhatsapp-operator[:tag|@digest]`."""
    last = image.rsplit("/", 1)[-1]
    repo = last.split("@", 1)[0].split(":", 1)[0]
    return repo == IMAGE_REPOSITORY


def argv_of(spec: Mapping[str, Any]) -> list[str]:
    """Kubernetes semantics of command/args over the image's CMD (no ENTRYPOINT)."""
    command, args = list(spec.get("command") or []), list(spec.get("args") or [])
    if command:
        return command + args
    return args or list(IMAGE_CMD)


@dataclass
class Container:
    spec: Mapping[str, Any]
    log_path: Path
    init: bool = False
    proc: subprocess.Popen[bytes] | None = None
    restart_count: int = 0
    started_at: str | None = None
    started_mono: float = 0.0
    state: dict[str, Any] = field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    last_state: dict[str, Any] = field(default_factory=dict)
    backoff: float = 0.0
    next_start: float = 0.0
    done: bool = False  # terminated and will not be restarted
    startup: ProbeState | None = None
    liveness: ProbeState | None = None
    readiness: ProbeState | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def started(self) -> bool:
        return self.running and (self.startup is None or self.startup.result is True)

    @property
    def ready(self) -> bool:
        if not self.started:
            return False
        return self.readiness is None or self.readiness.result is True

    def wait(self, reason: str, message: str = "") -> None:
        self.state = {"waiting": {"reason": reason, **({"message": message} if message else {})}}

    def start(self, *, env: dict[str, str], mounts: list[tuple[str, str, bool]],
              plan_dir: Path) -> None:
        plan_dir.mkdir(parents=True, exist_ok=True)
        plan = plan_dir / f"{self.name}.json"
        fd = os.open(plan, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"mounts": mounts, "argv": argv_of(self.spec), "env": env,
                       "cwd": self.spec.get("workingDir") or "/", "keep": KEEP_VISIBLE}, f)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"--- {now_rfc3339()} start #{self.restart_count}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "--",
                 sys.executable, "-m", "mywhatsapp.localcluster.kubelet.podinit", str(plan)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, start_new_session=True, close_fds=True,
            )
        self.env = env
        self.started_at, self.started_mono = now_rfc3339(), time.monotonic()
        self.state = {"running": {"startedAt": self.started_at}}
        self.startup = new_probe(self.spec.get("startupProbe"))
        self.liveness = new_probe(self.spec.get("livenessProbe"))
        self.readiness = new_probe(self.spec.get("readinessProbe"))

    @property
    def container_id(self) -> str:
        return f"local://{self.proc.pid}" if self.proc else ""

    def reap(self, restart_policy: str) -> int | None:
        """If the process ended: record it, decide restart; return its exit code."""
        if self.proc is None:
            return None
        code = self.proc.poll()
        if code is None:
            return None
        exit_code = code if code >= 0 else 128 - code
        terminated = {
            "exitCode": exit_code,
            "reason": "Completed" if exit_code == 0 else "Error",
            "startedAt": self.started_at, "finishedAt": now_rfc3339(),
            "containerID": self.container_id,
        }
        ran = time.monotonic() - self.started_mono
        self.proc = None
        restart = restart_policy == "Always" or (restart_policy == "OnFailure" and exit_code != 0)
        if self.init and exit_code == 0:
            restart = False
        if not restart:
            self.state, self.done = {"terminated": terminated}, True
            return exit_code
        self.last_state = {"terminated": terminated}
        self.backoff = 0.0 if ran > QUICK_EXIT else min(BACKOFF_MAX, max(BACKOFF_START, self.backoff * 2))
        self.next_start = time.monotonic() + self.backoff
        self.restart_count += 1
        self.wait("CrashLoopBackOff" if self.backoff else "ContainerCreating",
                  f"back-off {self.backoff:.0f}s restarting failed container" if self.backoff else "")
        return exit_code

    def kill(self, grace: float) -> None:
        """SIGTERM the process group, SIGKILL it after `grace` seconds."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:  # stragglers of the group (children that ignored SIGTERM)
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def probe_tick(self, pod_ip: str, now: float) -> str | None:
        """Run due probes; return 'restart' when liveness/startup decided failure."""
        if not self.running:
            return None
        prefix = ["nsenter", "--mount", f"--target={self.proc.pid}", "--"] if self.proc else None
        if self.startup and self.startup.result is not True:
            if self.startup.due(now):
                ok = run_probe(self.startup.spec, self.spec, pod_ip, exec_prefix=prefix, env=self.env)
                if self.startup.record(ok, now) is False:
                    return "restart"
            return None
        for probe in (self.liveness, self.readiness):
            if probe and probe.due(now):
                ok = run_probe(probe.spec, self.spec, pod_ip, exec_prefix=prefix, env=self.env)
                if probe.record(ok, now) is False and probe is self.liveness:
                    return "restart"
        return None

    def next_due(self) -> float:
        times = [p.next_at for p in (self.startup, self.liveness, self.readiness) if p]
        if not self.running and not self.done and self.proc is None:
            times.append(self.next_start)
        return min(times) if times else time.monotonic() + 1.0

    def status(self) -> dict[str, Any]:
        image = self.spec.get("image", "")
        out: dict[str, Any] = {
            "name": self.name, "image": image, "imageID": f"local://{image}",
            "ready": self.ready, "started": self.started, "restartCount": self.restart_count,
            "state": self.state, "lastState": self.last_state,
        }
        if self.proc:
            out["containerID"] = self.container_id
        return out
