"""A tiny pod program for testing the local cluster from the inside.

`python -m mywhatsapp.localcluster.inspector [--record FILE]` serves on
$POD_IP:$PORT (default 0.0.0.0:8080):
- GET /healthz → 200;
- GET /env → the process environment as JSON;
- GET /file?path=P → the file's text (404 if absent);
- GET /mounts → this process's mount points (from /proc/self/mountinfo);
- GET /kube?path=/api/... → status code of that GET made with the pod's own
  service-account token, as any in-cluster client would;
- GET /record → lines of the --record file, to which each start appends one line.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def kube_get(path: str) -> int:
    host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"]
    token = (SA_DIR / "token").read_text()
    ctx = ssl.create_default_context(cafile=str(SA_DIR / "ca.crt"))
    ctx.check_hostname = False  # the serving cert names 127.0.0.1 and kubernetes.default; both fine
    req = urllib.request.Request(f"https://{host}:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def mount_points() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f]


def make_handler(record: Path | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, code: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            url = urllib.parse.urlparse(self.path)
            q = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/healthz":
                self._send(200, "ok")
            elif url.path == "/env":
                self._send(200, dict(os.environ))
            elif url.path == "/file":
                p = Path(q.get("path", ""))
                self._send(200, p.read_text()) if p.is_file() else self._send(404, None)
            elif url.path == "/mounts":
                self._send(200, mount_points())
            elif url.path == "/kube":
                self._send(200, {"status": kube_get(q["path"])})
            elif url.path == "/record" and record:
                self._send(200, record.read_text().splitlines())
            else:
                self._send(404, None)

        def log_message(self, fmt: str, *args: object) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--record", type=Path)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    args = parser.parse_args()
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        with args.record.open("a") as f:
            f.write(f"{os.environ.get('HOSTNAME', '?')} {uuid.uuid4()}\n")
    server = ThreadingHTTPServer((os.environ.get("POD_IP", "0.0.0.0"), args.port), make_handler(args.record))
    print(f"inspector serving on {server.server_address}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
