"""The seed's reply shape: ``{"Status": {...}}`` with the HTTP code equal to ``statusCode``.

``SeedError`` carries an error reply out of any layer (body parsing, auth,
handlers); the app's exception handler turns it into the envelope. The seed
wrote the code sometimes as ``status`` and sometimes as ``statusCode``; here
every reply has ``error`` and ``statusCode`` (see ``docs/api.md``).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

ENVELOPE_KEY = "Status"


def status_body(status_code: int, *, error: bool, **fields: Any) -> dict[str, Any]:
    """The inner object of a reply: ``error``, ``statusCode``, then ``fields``."""
    return {"error": error, "statusCode": status_code, **fields}


def reply(status_code: int, *, error: bool, **fields: Any) -> JSONResponse:
    """A complete reply: the envelope, with the HTTP code equal to ``statusCode``."""
    return JSONResponse(
        {ENVELOPE_KEY: status_body(status_code, error=error, **fields)}, status_code=status_code
    )


class SeedError(Exception):
    """An error answered in the seed's envelope (``error: true``)."""

    def __init__(self, status_code: int, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.fields = fields

    def response(self) -> JSONResponse:
        return reply(self.status_code, error=True, message=self.message, **self.fields)
