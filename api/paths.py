"""Seed-style URL handling: case-insensitive paths and per-prefix 404 answers.

The seed's Express router matched paths case-insensitively (its own request
collection calls ``/instance/getHardware`` for ``getHardWare``) and answered
unknown URLs with ``<PREFIX>: Não foi possivel executar a ação, verifique a
url informada.`` (404). ``SeedPaths`` is an ASGI middleware that rewrites a
request path to the route's own spelling, and answers 404 in the envelope for
paths (or methods) no route serves.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Final

from mywhatsapp.api import messages

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: first path segment (lower case) -> prefix of the 404 message. ``SISTEMA``
#: is ours: the seed's ``/sistema`` routes had no prefix of their own.
PREFIXES: Final = {
    "instance": "INSTACE",  # sic, the seed's spelling
    "sistema": "SISTEMA",
    "message": "MESSAGE",
    "group": "GROUP",
    "retrieving": "RETRIEVING",
    "profile": "PROFILE",
    "webhook": "WEBHOOK",
    "gateway": "GATEWAY",
}
DEFAULT_PREFIX: Final = "SERVER"


def prefix_for(path: str) -> str:
    """The 404 prefix for a path: from its first segment, else ``SERVER``."""
    first = path.strip("/").split("/", 1)[0].lower()
    return PREFIXES.get(first, DEFAULT_PREFIX)


def not_found_body(path: str) -> dict[str, Any]:
    return {"Status": {"error": True, "statusCode": 404,
                       "message": f"{prefix_for(path)}: {messages.UNKNOWN_URL}"}}


def normalise(path: str) -> str:
    """Lower case, no trailing slash (except the root)."""
    lowered = path.lower()
    return lowered.rstrip("/") or "/"


class SeedPaths:
    """ASGI middleware; ``routes_of`` gives every (path, methods) served, read on first use."""

    def __init__(self, app: ASGIApp, routes_of: Callable[[], Iterable[tuple[str, set[str]]]],
                 passthrough: tuple[str, ...] = ()) -> None:
        self.app = app
        self._routes_of = routes_of
        self._passthrough = passthrough  # path prefixes served as they are (static files)
        self._table: dict[str, tuple[str, set[str]]] | None = None

    def _build(self) -> dict[str, tuple[str, set[str]]]:
        table: dict[str, tuple[str, set[str]]] = {}
        for route_path, methods in self._routes_of():
            if "{" not in route_path:
                key = normalise(route_path)
                path, known = table.get(key, (route_path, set()))
                table[key] = (path, known | set(methods))
        return table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._table is None:
            self._table = self._build()
        path = scope["path"]
        if self._passthrough and path.startswith(self._passthrough):
            await self.app(scope, receive, send)
            return
        entry = self._table.get(normalise(path))
        method = scope["method"].upper()
        if entry is None or (method not in entry[1] and not (method == "HEAD" and "GET" in entry[1])):
            await _send_json(send, 404, not_found_body(path))
            return
        if entry[0] != path:
            scope = dict(scope)
            scope["path"] = entry[0]
            scope["raw_path"] = entry[0].encode("utf-8")
        await self.app(scope, receive, send)


async def _send_json(send: Send, code: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": code,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
