"""QR codes to PNG, cached per code (a code is shown to many polls)."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

DATA_URL_PREFIX = "data:image/png;base64,"


@lru_cache(maxsize=512)
def png(code: str) -> bytes:
    """PNG bytes of the QR code for ``code`` (same code → same, cached bytes)."""
    image = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    image.add_data(code)
    image.make(fit=True)
    buffer = io.BytesIO()
    image.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=512)
def data_url(code: str) -> str:
    """``data:image/png;base64,…`` of ``png(code)``, as the seed's ``qrcode`` field."""
    return DATA_URL_PREFIX + base64.b64encode(png(code)).decode("ascii")


def cache_hits() -> int:
    return png.cache_info().hits
