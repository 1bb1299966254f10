"""QR codes shaped like WhatsApp's and their rotation schedule."""

from __future__ import annotations

import base64

import pytest

from mywhatsapp.simulator.qr import (
    QrSchedule,
    new_device_keys,
    new_ref,
    pairing_code,
    parse_qr_code,
    qr_code,
)


def test_qr_code_is_ref_and_three_base64_keys_of_32_bytes() -> None:
    keys = new_device_keys()
    ref = new_ref()
    code = qr_code(ref, keys)
    parts = code.split(",")
    assert len(parts) == 4 and parts[0] == ref and ref.startswith("2@")
    assert all(len(base64.b64decode(part, validate=True)) == 32 for part in parts[1:])
    assert parse_qr_code(code) == (ref, keys)


def test_refs_rotate_but_device_keys_stay() -> None:
    keys = new_device_keys()
    first, second = qr_code(new_ref(), keys), qr_code(new_ref(), keys)
    assert first != second
    assert first.split(",")[1:] == second.split(",")[1:]


@pytest.mark.parametrize(
    "bad",
    ["", "2@abc", "abc,a,b,c", "2@,AAAA,AAAA,AAAA", "2@x," + ",".join(["bm90IDMyIGJ5dGVz"] * 3), "2@x,!,!,!"],
)
def test_parse_refuses_what_is_not_qr_shaped(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_qr_code(bad)


def test_schedule_is_whatsapps_by_default_60_then_20_seconds() -> None:
    schedule = QrSchedule()
    assert [schedule.ttl(n) for n in (1, 2, 3, 6)] == [60.0, 20.0, 20.0, 20.0]
    assert schedule.max_refs == 6
    assert QrSchedule(2.0, 0.5).ttl(1) == 2.0
    with pytest.raises(ValueError):
        schedule.ttl(0)


def test_pairing_code_looks_like_whatsapps() -> None:
    code = pairing_code()
    assert len(code) == 9 and code[4] == "-" and code.replace("-", "").isalnum() and code.isupper()
