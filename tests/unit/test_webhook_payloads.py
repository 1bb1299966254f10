"""The seed's webhook payloads (seed-api.md §4, seed-webhook-payloads.txt), built by pure functions."""

from __future__ import annotations

import base64
import io

from PIL import Image

from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod import webhook_payloads as wp

T = 1_780_000_000.0  # 2026-05-28T20:26:40Z
COMMON = {"SessionName", "wook", "status", "type", "fromMe", "id", "name", "from", "to", "isGroup", "datetime"}


def test_datetime_is_utc_iso() -> None:
    assert wp.when(T) == "2026-05-28T20:26:40Z"


def test_qrcode_has_the_seed_fields_and_a_png_data_url_once_finalized() -> None:
    draft = wp.wh_qrcode("", "2@abc,def", data_url=None, message="scan")
    assert draft["qrcode"] is None
    payload = wp.finalize(draft, "Loja")
    assert {k: payload[k] for k in ("wook", "session", "state", "status", "urlCode", "SessionName")} == {
        "wook": "QRCODE", "session": "Loja", "state": "QRCODE", "status": "qrRead", "urlCode": "2@abc,def",
        "SessionName": "Loja"}
    head, data = payload["qrcode"].split(",", 1)
    assert head == "data:image/png;base64"
    assert Image.open(io.BytesIO(base64.b64decode(data))).format == "PNG"


def test_connect_payload() -> None:
    payload = wp.finalize(wp.wh_connect("", state="CONNECTED", status="inChat", number="5511999990001"), "S")
    assert payload == {"SessionName": "S", "wook": "STATUS_CONNECT", "session": "S", "state": "CONNECTED",
                       "status": "inChat", "number": "5511999990001", "message": ""}
    assert wp.wh_connect("S", state="CLOSE", status="browserClose", number="")["number"] is None


def test_received_text_message() -> None:
    message = ev.IncomingMessage(id="M1", chat="5511999990002", sender="5511999990002", kind="text",
                                 content={"text": "oi"}, timestamp=T, push_name="Bob")
    payload = wp.incoming_message("S", message, own_phone="5511999990001")
    assert set(payload) == COMMON | {"content"}
    assert payload == {"SessionName": "S", "wook": "RECEIVE_MESSAGE", "status": "RECEIVED", "type": "text",
                       "fromMe": False, "id": "M1", "name": "Bob", "from": "5511999990002",
                       "to": "5511999990001", "isGroup": False, "content": "oi", "datetime": "2026-05-28T20:26:40Z"}


def test_sent_and_group_messages() -> None:
    sent = wp.wh_message("S", message_id="M2", kind="text", content={"text": "x"}, from_me=True,
                         chat="5511999990002", sender="5511999990001", own_phone="5511999990001", timestamp=T)
    assert (sent["wook"], sent["status"], sent["from"], sent["to"]) == (
        "SEND_MESSAGE", "SEND", "5511999990001", "5511999990002")
    group = ev.IncomingMessage(id="G", chat="123@g.us", sender="5511999990003", kind="text",
                               content={"text": "hi"}, timestamp=T, is_group=True)
    payload = wp.incoming_message("S", group, own_phone="5511999990001")
    assert (payload["from"], payload["participant"], payload["isGroup"]) == ("123@g.us", "5511999990003", True)


def test_message_kinds_follow_the_seed_shapes() -> None:
    def fields(kind: str, content: dict[str, object]) -> dict[str, object]:
        payload = wp.wh_message("S", message_id="i", kind=kind, content=content, from_me=False, chat="1",
                                sender="1", own_phone="2", timestamp=T)
        assert COMMON <= set(payload)
        return {k: v for k, v in payload.items() if k not in COMMON - {"type"}}

    assert fields("image", {"caption": "c", "mimetype": "image/jpeg", "fileLength": 3, "base64": "AAA"}) == {
        "type": "image", "caption": "c", "mimetype": "image/jpeg", "fileLength": 3, "base64": "AAA"}
    assert fields("sticker", {"mimetype": "image/webp"})["type"] == "image"
    assert fields("audio", {"mimetype": "audio/ogg", "seconds": 4, "ptt": True}) == {
        "type": "audio", "mimetype": "audio/ogg", "time": 4, "ptt": True}
    assert fields("document", {"filename": "a.pdf", "mimetype": "application/pdf"}) == {
        "type": "document", "caption": "", "fileName": "a.pdf", "mimetype": "application/pdf"}
    location = fields("location", {"latitude": -23.5, "longitude": -46.6, "name": "SP", "address": "Av"})
    assert (location["type"], location["lat"], location["long"]) == ("location", -23.5, -46.6)
    assert fields("contact", {"displayName": "Ana", "vcard": "BEGIN:VCARD"}) == {
        "type": "vcard", "displayName": "Ana", "vcard": "BEGIN:VCARD"}
    assert fields("reaction", {"messageId": "X", "emoji": "👍"}) == {
        "type": "reactionMessage", "content": "👍", "reactionTo": "X"}
    assert fields("poll", {"name": "Q", "options": ["a", "b"], "selectableCount": 1}) == {
        "type": "poll", "poll": {"name": "Q", "options": ["a", "b"], "selectableCount": 1}}
    assert fields("unknown", {"fields": ["x"]}) == {"type": "unknown", "content": {"fields": ["x"]}}


def test_receipts_become_one_message_status_per_id() -> None:
    receipt = ev.Receipt(("A", "B"), "5511999990002", "read", T)
    payloads = wp.wh_status("S", receipt, own_phone="5511999990001")
    assert payloads == [
        {"SessionName": "S", "wook": "MESSAGE_STATUS", "status": "READ", "id": i, "from": "5511999990001",
         "to": "5511999990002", "dateTime": "2026-05-28T20:26:40Z"} for i in ("A", "B")]
    assert [wp.wh_status("S", ev.Receipt(("A",), "c", kind, T), own_phone=None)[0]["status"]
            for kind in ("delivered", "played", "sender", "server_error", "inactive")] == [
        "RECEIVED", "PLAYED", "SEND", "ERROR", "INACTIVE"]


def test_incoming_call() -> None:
    payload = wp.wh_incomingcall("S", ev.IncomingCall("C1", "5511999990002", True, T))
    assert payload == {"SessionName": "S", "wook": "INCOMING_CALL", "type": "call", "id": "C1",
                       "phone": "5511999990002", "datetime": "2026-05-28T20:26:40Z", "offline": False,
                       "status": "offer", "isVideo": True, "isGroup": False, "participants": []}
