"""QR codes shaped like WhatsApp's, and the rotation schedule of a login attempt.

A WhatsApp multi-device QR code is four comma-separated parts::

    2@<ref>,<base64 noise public key>,<base64 identity public key>,<base64 adv secret>

The ``ref`` comes from the server and changes at every rotation; the three keys
belong to the device and stay the same for the whole login attempt. WhatsApp
shows the first code for 60 seconds and every later one for 20 seconds; the
simulator uses the same schedule unless told otherwise (tests shorten it).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Final

REF_PREFIX: Final = "2@"
KEY_BYTES: Final = 32
DEFAULT_FIRST_TTL: Final = 60.0
DEFAULT_NEXT_TTL: Final = 20.0
#: WhatsApp sends six refs per login attempt; after the last one expires the
#: server ends the attempt.
DEFAULT_MAX_REFS: Final = 6


@dataclass(frozen=True)
class DeviceKeys:
    """The public halves a device puts into its QR codes (base64 text)."""

    noise_key: str
    identity_key: str
    adv_secret: str


@dataclass(frozen=True)
class QrSchedule:
    """How long each QR code of a login attempt lives, and how many there are."""

    first_ttl: float = DEFAULT_FIRST_TTL
    next_ttl: float = DEFAULT_NEXT_TTL
    max_refs: int = DEFAULT_MAX_REFS

    def ttl(self, attempt: int) -> float:
        """Lifetime in seconds of QR code number ``attempt`` (1-based)."""
        if attempt < 1:
            raise ValueError(f"attempt must be at least 1, not {attempt}")
        return self.first_ttl if attempt == 1 else self.next_ttl


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def new_device_keys() -> DeviceKeys:
    """Random keys for a newly registered device."""
    return DeviceKeys(
        noise_key=_b64(secrets.token_bytes(KEY_BYTES)),
        identity_key=_b64(secrets.token_bytes(KEY_BYTES)),
        adv_secret=_b64(secrets.token_bytes(KEY_BYTES)),
    )


def new_ref() -> str:
    """A fresh server ref, ``2@`` followed by URL-safe random text."""
    return REF_PREFIX + secrets.token_urlsafe(48)


def qr_code(ref: str, keys: DeviceKeys) -> str:
    """The raw QR string for ``ref`` and the device's ``keys``."""
    return ",".join((ref, keys.noise_key, keys.identity_key, keys.adv_secret))


def parse_qr_code(code: str) -> tuple[str, DeviceKeys]:
    """Split a raw QR string into its ref and keys; ``ValueError`` if it is not QR-shaped."""
    parts = code.split(",")
    if len(parts) != 4 or not parts[0].startswith(REF_PREFIX) or len(parts[0]) <= len(REF_PREFIX):
        raise ValueError("a WhatsApp QR code is '2@<ref>,<noise key>,<identity key>,<adv secret>'")
    for part in parts[1:]:
        try:
            raw = base64.b64decode(part, validate=True)
        except ValueError as error:
            raise ValueError(f"QR key {part!r} is not base64") from error
        if len(raw) != KEY_BYTES:
            raise ValueError(f"QR key {part!r} is not {KEY_BYTES} bytes long")
    return parts[0], DeviceKeys(parts[1], parts[2], parts[3])


def pairing_code() -> str:
    """An 8-character pairing code like WhatsApp's, shown as ``ABCD-EFGH``."""
    alphabet = "ABCDEFGHJKLMNPQRSTVWXYZ123456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"
