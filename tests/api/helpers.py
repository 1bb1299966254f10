"""Shared helpers of the API tests: the app on a fake cluster, a fake session pod."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from mywhatsapp.api.app import create_app
from mywhatsapp.api.auth import Lookup
from mywhatsapp.api.settings import Settings
from mywhatsapp.common import crd, names
from tests.api.conftest import ADMIN_KEY
from tests.api.fakekube import FakeKube
from tests.api.server import serve
from tests.kube import wait_for

NAMESPACE = "sessions"
ADMIN = {"AuthorizationToken": ADMIN_KEY}


@dataclass
class FakeApp:
    kube: FakeKube
    client: httpx.Client
    app: Any

    def path(self, cr_name: str) -> str:
        return f"/apis/{crd.GROUP}/{crd.VERSION}/namespaces/{NAMESPACE}/{crd.PLURAL}/{cr_name}"

    def set_status(self, session_name: str, status: dict[str, Any]) -> None:
        """Patch the CR status as the session pod would, then wait for the cache to see it."""
        cr_name = names.cr_name_for(session_name)
        obj = self.kube.merge_patch(self.path(cr_name) + "/status", {"status": status})
        store = self.app.state.services.store
        wait_for(lambda: (store.get(cr_name) or {}).get("metadata", {}).get("resourceVersion")
                 == obj["metadata"]["resourceVersion"], timeout=10, what="the cache to see the status")

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return self.client.post(path, json=body, headers=ADMIN if headers is None else headers, **kw)


@contextmanager
def fake_app(lookup: Lookup | None = None, **settings: Any) -> Iterator[FakeApp]:
    kube = FakeKube()
    options: dict[str, Any] = {"secret_key": ADMIN_KEY, "sessions_namespace": NAMESPACE, **settings}
    if lookup is not None:
        options.update(validate_mysql=True, mysql_user="unused")
    app = create_app(Settings(**options), kube, token_lookup=lookup)  # type: ignore[arg-type]
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield FakeApp(kube, client, app)


@dataclass
class FakePod:
    """A session pod's internal API: records calls, checks the bearer token."""

    token: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    endpoint: str = ""


@contextmanager
def fake_pod(token: str) -> Iterator[FakePod]:
    pod = FakePod(token)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.headers.get("Authorization") != f"Bearer {pod.token}":
                self.send_response(401)
                self.end_headers()
                return
            pod.calls.append((self.path, body))
            if self.path == "/v1/pair":
                answer: dict[str, Any] = {"pairingCode": "ABCD-EFGH"}
            elif self.path == "/v1/numbers/check":  # numbers ending in 0000 are not on WhatsApp
                answer = {"results": [{"phone": p, "exists": not p.endswith("0000")} for p in body["phones"]]}
            elif self.path.startswith("/v1/messages/"):
                answer = {"id": f"MSG{len(pod.calls)}", "kind": self.path.rsplit("/", 1)[1]}
            else:
                answer = {"ok": True}
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    pod.endpoint = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield pod
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def secret_data(token: str) -> dict[str, str]:
    return {crd.SECRET_KEY_INTERNAL_TOKEN: base64.b64encode(token.encode()).decode()}
