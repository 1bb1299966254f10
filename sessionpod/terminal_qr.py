"""Print a QR code as text, so ``kubectl logs`` can show it (the seed's VIEW_QRCODE_TERMINAL)."""

from __future__ import annotations

import io

import qrcode


def render(code: str) -> str:
    """``code`` as a block-character QR code (two module rows per text line)."""
    image = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    image.add_data(code)
    image.make(fit=True)
    out = io.StringIO()
    image.print_ascii(out=out, invert=True)
    return out.getvalue()
