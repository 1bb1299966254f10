"""Test harness: a real simulator process, a stub API server, real session pod processes.

The stub API server (``StatusSink``) answers the pod's merge patches of
``.../whatsappsessions/<name>/status``, applies them to its own copy of each
status and records every patch, so tests can wait on the status the pod
reported and check its history.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
VENV_BIN = Path(sys.executable).parent


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            target[key] = merge(dict(target.get(key) or {}), value)
        else:
            target[key] = value
    return target


class StatusSink:
    """A stand-in API server that records status patches (plain HTTP, no auth)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: dict[str, dict[str, Any]] = {}
        self.patches: list[tuple[str, dict[str, Any]]] = []
        self.requests: list[tuple[str, str]] = []  # (path, content type)
        self.fail_next = 0
        #: CR objects served to ``GET .../whatsappsessions/<name>`` (the pod reads its webhooks).
        self.objects: dict[str, dict[str, Any]] = {}
        self.gets: list[str] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.split("?")[0].rstrip("/").split("/")[-1]
                with sink.lock:
                    sink.gets.append(self.path)
                    obj = sink.objects.get(name)
                    code, answer = (200, obj) if obj is not None else (
                        404, {"kind": "Status", "message": f"{name} not found", "code": 404})
                    data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PATCH(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                parts = self.path.split("/")
                name = parts[-2] if parts[-1] == "status" else ""
                with sink.lock:
                    sink.requests.append((self.path, self.headers.get("Content-Type", "")))
                    if sink.fail_next > 0:
                        sink.fail_next -= 1
                        code, answer = 503, {"kind": "Status", "message": "try later"}
                    else:
                        status = merge(dict(sink.statuses.get(name, {})), body.get("status", {}))
                        sink.statuses[name] = status
                        sink.patches.append((name, body))
                        code, answer = 200, {"metadata": {"name": name}, "status": status}
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def status(self, name: str) -> dict[str, Any]:
        with self.lock:
            return json.loads(json.dumps(self.statuses.get(name, {})))

    def history(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body["status"] for cr, body in self.patches if cr == name]

    def wait(self, name: str, check: Callable[[dict[str, Any]], bool], *, timeout: float, what: str) -> dict[str, Any]:
        return wait_for(lambda: (lambda s: s if check(s) else None)(self.status(name)), timeout=timeout, what=what)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Simulator:
    """A ``mywhatsapp-simulator`` process with short QR lifetimes."""

    def __init__(self, workdir: Path, *, first_ttl: float, next_ttl: float, max_refs: int = 6) -> None:
        url_file = workdir / "simulator-url"
        self.log_path = workdir / "simulator.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "mywhatsapp-simulator"), "--port", "0", "--url-file", str(url_file),
                 "--qr-first-ttl", str(first_ttl), "--qr-next-ttl", str(next_ttl),
                 "--qr-max-refs", str(max_refs), "--log-level", "warning"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        self.url = wait_for(lambda: url_file.exists() and url_file.read_text().strip(), timeout=20,
                            what="the simulator to listen")
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def scan(self, phone: str, code: str, **extra: Any) -> httpx.Response:
        return self.http.post(f"/phones/{phone}/scan", json={"qr": code, **extra})

    def close(self) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Pod:
    """A ``mywhatsapp-sessionpod`` process run like the kubelet would, minus Kubernetes."""

    def __init__(self, *, name: str, state_dir: Path, simulator_url: str, sink_url: str,
                 log_path: Path, **env: str) -> None:
        self.name = name
        self.port = free_port()
        self.token = secrets.token_urlsafe(24)
        self.log_path = log_path
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "SESSION_NAME": name,
            "SESSION_NAMESPACE": "test",
            "POD_IP": "127.0.0.1",
            "HTTP_PORT": str(self.port),
            "BACKEND": "simulated",
            "SIMULATOR_URL": simulator_url,
            "INTERNAL_TOKEN": self.token,
            "STATE_DIR": str(state_dir),
            "STATUS_API_URL": sink_url,
            "QR_MAX_ATTEMPTS": "5",
            "STOP_TIMEOUT_SECONDS": "10",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "mywhatsapp-sessionpod")], env=environment,
                stdout=log, stderr=subprocess.STDOUT,
            )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=15,
                                 headers={"Authorization": f"Bearer {self.token}"})
        wait_for(self._ready, timeout=30, what=f"pod {name} to be ready")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"pod {self.name} exited with {self.process.returncode}:\n{self.log()}")
        try:
            return self.http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def wait_exit(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired as error:
            raise AssertionError(f"pod {self.name} did not exit within {timeout}s:\n{self.log()}") from error

    def terminate(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def close(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class WebhookReceiver:
    """A local HTTP server that records webhook POSTs; ``fail[path] = n`` answers 500 n times."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: Every request: (path, headers, raw body, answered code).
        self.requests: list[tuple[str, dict[str, str], bytes, int]] = []
        self.fail: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    left = receiver.fail.get(self.path, 0)
                    code = 500 if left > 0 else 200
                    if left > 0:
                        receiver.fail[self.path] = left - 1
                    receiver.requests.append((self.path, dict(self.headers.items()), body, code))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def webhooks(self) -> dict[str, str]:
        """``spec.webhooks`` pointing every kind at ``/<kind>`` of this receiver."""
        return {kind: f"{self.url}/{kind}" for kind in ("status", "message", "qrcode", "connect", "incomingCall")}

    def seen(self, path: str, *, delivered_only: bool = True) -> list[tuple[dict[str, str], bytes, int]]:
        with self.lock:
            return [(h, b, c) for p, h, b, c in self.requests if p == path and (c == 200 or not delivered_only)]

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, _ in self.seen(path)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
