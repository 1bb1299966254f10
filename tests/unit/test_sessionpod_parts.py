"""Small pure parts of the session pod: recipients, messages, traffic, marker, QR, auth, translation."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from mywhatsapp.sessionpod import autoclose_marker, terminal_qr
from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod.http_api import token_matches
from mywhatsapp.sessionpod.messages import MESSAGE_KINDS, ImageMessage, TextMessage, kind_of, recipient
from mywhatsapp.sessionpod.simulated import translate
from mywhatsapp.sessionpod.traffic import TrafficLog


@pytest.mark.parametrize(
    ("to", "jid"),
    [
        ("5511999998888", "5511999998888@s.whatsapp.net"),
        ("+5511999998888", "5511999998888@s.whatsapp.net"),
        ("5511999998888@c.us", "5511999998888@s.whatsapp.net"),
        ("120363025555555555@g.us", "120363025555555555@g.us"),
    ],
)
def test_recipients_normalise_to_jids(to: str, jid: str) -> None:
    assert recipient(to).jid == jid


@pytest.mark.parametrize("to", ["", "abc", "55 11", "x@example.com", "../etc"])
def test_bad_recipients_are_refused(to: str) -> None:
    with pytest.raises(ValueError):
        recipient(to)


def test_message_models_validate_and_know_their_kind() -> None:
    text = TextMessage(to="5511999998888", text="oi")
    assert kind_of(text) == "text" and set(MESSAGE_KINDS) >= {"text", "image", "document", "location", "poll"}
    image = ImageMessage(to="5511999998888", base64=base64.b64encode(b"\x89PNG").decode())
    assert image.data() == b"\x89PNG" and image.mimetype == "image/jpeg"
    with pytest.raises(ValidationError):
        ImageMessage(to="5511999998888", base64="not base64!")
    with pytest.raises(ValidationError):
        TextMessage(to="5511999998888", text="")
    with pytest.raises(ValidationError):
        TextMessage(to="5511999998888", text="x", unexpected=True)  # type: ignore[call-arg]


def test_traffic_log_numbers_events_and_serves_what_is_new() -> None:
    log = TrafficLog(size=2)
    log.append(ev.IncomingMessage("m1", "55", "55", "text", {"text": "a"}))
    log.append(ev.Receipt(("m0",), "56", "read", 1.0))
    log.append(ev.IncomingCall("c1", "57", True))
    assert [item["seq"] for item in log.since(0)] == [2, 3]  # bounded: the oldest fell out
    receipt = log.since(1)[0]
    assert receipt == {"seq": 2, "type": "receipt", "ids": ["m0"], "chat": "56", "receiptType": "read",
                       "timestamp": 1.0}
    assert log.since(3) == [] and log.last_seq == 3


def test_autoclose_marker_holds_only_the_same_pod() -> None:
    marker = {"podUid": "u1", "at": 100.0}
    assert autoclose_marker.holds(marker, pod_uid="u1", now=10_000.0)
    assert not autoclose_marker.holds(marker, pod_uid="u2", now=101.0)
    assert autoclose_marker.holds({"podUid": None, "at": 100.0}, pod_uid=None, now=150.0)
    assert not autoclose_marker.holds({"podUid": None, "at": 100.0}, pod_uid=None, now=1000.0)
    assert not autoclose_marker.holds(None, pod_uid=None, now=0.0)


def test_terminal_qr_is_printable_blocks() -> None:
    art = terminal_qr.render("2@ref,a,b,c")
    lines = art.splitlines()
    assert len(lines) > 10 and len({len(line) for line in lines}) == 1
    assert set(art) <= set("█▀▄ \xa0\n")


def test_token_comparison() -> None:
    token = "s3cr3t-token-0123456789"
    assert token_matches(f"Bearer {token}", token)
    assert token_matches(f"bearer {token}", token)
    assert not token_matches(token, token)
    assert not token_matches(f"Bearer {token}x", token)
    assert not token_matches(None, token)
    assert not token_matches("Bearer ", token)


def test_simulator_events_translate_to_session_events() -> None:
    assert translate({"type": "qr", "code": "2@x", "expiresAt": 5.0}) == ev.QrCode("2@x", 5.0)
    assert translate({"type": "connected", "phone": "55", "pushName": "A"}) == ev.Connected("55", "A")
    assert translate({"type": "logged_out", "reason": "r", "onConnect": True}) == ev.LoggedOut("r", True)
    assert translate({"type": "qr_timeout"}) == ev.QrTimeout()
    assert translate({"type": "paired", "phone": "55"}) is None
    message = translate({"type": "message", "id": "M", "from": "55", "to": "56", "kind": "text",
                         "content": {"text": "t"}, "timestamp": 2.0, "pushName": "P"})
    assert message == ev.IncomingMessage("M", "55", "55", "text", {"text": "t"}, False, 2.0, "P")
    assert translate({"type": "receipt", "ids": ["M"], "chat": "56", "receiptType": "read"}) == ev.Receipt(
        ("M",), "56", "read", 0.0)
