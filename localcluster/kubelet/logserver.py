"""The kubelet's HTTPS endpoint for `kubectl logs`: GET /containerLogs/<ns>/<pod>/<container>.

The API server proxies `kubectl logs` here with its kubelet-client
certificate; only clients with a certificate from the cluster's CA are
served. Supports `tailLines`, `limitBytes`, `timestamps` (ignored: lines are
stored as written) and `follow` (until the pod's log folder goes away).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

log = logging.getLogger("kubelet.logs")
FindLog = Callable[[str, str, str], Path | None]  # (namespace, pod, container) -> log file


def tail(lines: list[bytes], count: int | None) -> list[bytes]:
    return lines if count is None else lines[-count:] if count > 0 else []


def visible(raw: bytes) -> list[bytes]:
    """The log's lines without the kubelet's own start markers."""
    return [line for line in raw.splitlines(keepends=True) if not line.startswith(b"--- ")]


def make_handler(find: FindLog) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            url = urllib.parse.urlparse(self.path)
            parts = url.path.strip("/").split("/")
            if len(parts) != 4 or parts[0] != "containerLogs":
                self.send_error(404, "not found")
                return
            path = find(parts[1], parts[2], parts[3])
            if path is None or not path.exists():
                self.send_error(404, f"no log for container {parts[3]} of pod {parts[1]}/{parts[2]}")
                return
            query = dict(urllib.parse.parse_qsl(url.query))
            count = int(query["tailLines"]) if query.get("tailLines", "").lstrip("-").isdigit() else None
            limit = int(query["limitBytes"]) if query.get("limitBytes", "").isdigit() else None
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            with path.open("rb") as f:
                body = b"".join(tail(visible(f.read()), count))
                if limit is not None:
                    body = body[:limit]
                self.wfile.write(body)
                self.wfile.flush()
                if query.get("follow") == "true":
                    self._follow(f, path)

        def _follow(self, f: object, path: Path) -> None:
            while path.exists():
                chunk = f.read()  # type: ignore[attr-defined]
                if chunk:
                    try:
                        self.wfile.write(b"".join(visible(chunk)))
                        self.wfile.flush()
                    except OSError:
                        return
                else:
                    time.sleep(0.2)

        def log_message(self, fmt: str, *args: object) -> None:
            log.debug(fmt, *args)

    return Handler


def serve(*, host: str, port: int, cert: Path, key: Path, ca: Path, find: FindLog) -> ThreadingHTTPServer:
    """Start the endpoint in a thread; return the server (shut it down to stop)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_cert_chain(str(cert), str(key))
    server = ThreadingHTTPServer((host, port), make_handler(find))
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, name="kubelet-logs", daemon=True).start()
    return server
