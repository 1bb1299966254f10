"""Daemon processes of the local cluster: start, find, stop, wait for health.

Each daemon has a pid file and a log file in the state folder. Every process a
cluster starts (daemons and pod processes) carries the environment marker
`MYWHATSAPP_LOCALCLUSTER=<state dir>`, so `stray_processes` can prove that a
`down` left nothing behind.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

MARKER = "MYWHATSAPP_LOCALCLUSTER"
# Daemons started by this process, kept so they are reaped (not leaked as zombies).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def read_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def start_daemon(
    name: str, argv: Sequence[str], *, pids: Path, logs: Path, state_dir: Path,
    env: dict[str, str] | None = None,
) -> int:
    """Start `argv` detached (own session), unless its pid file names a live process."""
    pids.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    pid_file = pids / f"{name}.pid"
    running = read_pid(pid_file)
    if running:
        return running
    full_env = dict(os.environ if env is None else env)
    full_env[MARKER] = str(state_dir)
    with open(logs / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=full_env, close_fds=True,
        )
    _CHILDREN[proc.pid] = proc
    pid_file.write_text(f"{proc.pid}\n")
    return proc.pid


def stop_pid(pid: int, *, grace: float) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL; reap if it is our child."""
    try:
        _stop(pid, grace)
    finally:
        child = _CHILDREN.pop(pid, None)
        if child is not None:
            child.wait()


def _stop(pid: int, grace: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while pid_alive(pid):
        _reap(pid)
        time.sleep(0.05)


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _CHILDREN[pid]
        return
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_daemon(name: str, *, pids: Path, grace: float) -> None:
    pid_file = pids / f"{name}.pid"
    pid = read_pid(pid_file)
    if pid:
        stop_pid(pid, grace=grace)
    pid_file.unlink(missing_ok=True)


def stray_processes(state_dir: Path) -> list[int]:
    """Pids of live processes started by the cluster living in `state_dir`."""
    needle = f"{MARKER}={state_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2) -> None:
    """Poll `check` until it returns True; raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - a health probe may fail in many ways while starting
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def http_ok(url: str, *, context: ssl.SSLContext | None = None, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, context=context, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False
