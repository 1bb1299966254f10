"""Request bodies as the seed accepted them: JSON, urlencoded or multipart.

``parse_body`` is pure (bytes + content type → ``Body``), except for
multipart, which goes through Starlette's parser in ``read_body``. Malformed
JSON gives the seed's 404 answer; anything that is not an object gives an
empty body (the handlers then answer "missing fields"), never a 500. Form
values are strings; ``Body.from_form`` lets fields such as ``View`` accept
``"true"``/``"false"`` there (a form cannot carry a JSON boolean).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.datastructures import UploadFile

from mywhatsapp.api import messages
from mywhatsapp.api.envelope import SeedError

#: Session routes carry a few short fields; the seed allowed 50 MB.
MAX_BODY_BYTES: Final = 1024 * 1024


@dataclass(frozen=True)
class Body:
    """The fields of one request body."""

    fields: dict[str, Any] = field(default_factory=dict)
    from_form: bool = False

    def get(self, name: str) -> Any:
        return self.fields.get(name)


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_json(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


def parse_body(raw: bytes, content_type: str | None) -> Body:
    """Parse a non-multipart body; raise ``SeedError`` (404) for malformed JSON."""
    kind = media_type(content_type)
    if _is_json(kind):
        if not raw.strip():
            return Body()
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SeedError(404, messages.MALFORMED_JSON) from exc
        return Body(document if isinstance(document, dict) else {})
    if kind == "application/x-www-form-urlencoded":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SeedError(400, messages.MISSING_FIELDS) from exc
        return Body(dict(parse_qsl(text, keep_blank_values=True)), from_form=True)
    return Body()


async def read_body(request: Request) -> Body:
    """Read and parse the body of ``request`` (at most ``MAX_BODY_BYTES``)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise SeedError(413, messages.BODY_TOO_LARGE)
    kind = media_type(request.headers.get("content-type"))
    if kind == "multipart/form-data":
        try:
            form = await request.form(max_files=0, max_fields=100, max_part_size=MAX_BODY_BYTES)
        except Exception as exc:  # noqa: BLE001 - any parser failure is bad input
            raise SeedError(400, messages.MISSING_FIELDS) from exc
        fields: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                await value.close()
            else:
                fields[key] = value
        return Body(fields, from_form=True)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise SeedError(413, messages.BODY_TOO_LARGE)
    return parse_body(bytes(raw), request.headers.get("content-type"))
