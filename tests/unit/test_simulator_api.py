"""The simulator's HTTP API, in process (FastAPI TestClient, no sockets)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; httpx (a project dependency) still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from mywhatsapp.simulator.app import create_app
from mywhatsapp.simulator.qr import QrSchedule

PHONE = "5511988887777"
OTHER = "5511966665555"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(QrSchedule(30.0, 0.3, 3), state_file=tmp_path / "sim.json")) as client:
        yield client


class Device:
    def __init__(self, api: TestClient, name: str = "Test device") -> None:
        self.api = api
        registered = api.post("/devices", json={"name": name}).json()
        self.id, self.secret = registered["deviceId"], registered["secret"]
        self.headers = {"Authorization": f"Bearer {self.secret}"}
        self.after = 0
        self.connection = ""

    def connect(self) -> None:
        answer = self.api.post(f"/devices/{self.id}/connections", headers=self.headers)
        assert answer.status_code == 201, answer.text
        self.connection = answer.json()["connectionId"]
        self.after = 0

    def events(self, timeout: float = 0.0) -> list[dict[str, Any]]:
        answer = self.api.get(
            f"/devices/{self.id}/connections/{self.connection}/events",
            params={"after": self.after, "timeout": timeout}, headers=self.headers,
        ).json()
        if answer["events"]:
            self.after = answer["events"][-1]["seq"]
        return answer["events"]

    def next_event(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events(timeout=0.5):
                if event["type"] == kind:
                    return event
        raise AssertionError(f"no {kind!r} event within {timeout}s")


def linked_device(api: TestClient, phone: str) -> Device:
    device = Device(api)
    device.connect()
    qr = device.next_event("qr")
    assert api.post(f"/phones/{phone}/scan", json={"qr": qr["code"]}).status_code == 200
    device.next_event("connected")
    return device


def test_scan_links_the_device_that_showed_the_code(api: TestClient) -> None:
    device = Device(api, name="My-Whatsapp")
    device.connect()
    qr = device.next_event("qr")
    assert qr["ttl"] == 30.0 and qr["code"].startswith("2@")
    answer = api.post(f"/phones/{PHONE}/scan", json={"qr": qr["code"], "pushName": "Ana"})
    assert answer.status_code == 200
    assert answer.json()["deviceId"] == device.id and answer.json()["name"] == "My-Whatsapp"
    connected = device.next_event("connected")
    assert (connected["phone"], connected["pushName"]) == (PHONE, "Ana")
    assert [d["deviceId"] for d in api.get(f"/phones/{PHONE}/devices").json()["devices"]] == [device.id]


def test_scan_errors_are_clear(api: TestClient) -> None:
    device = Device(api)
    device.connect()
    code = device.next_event("qr")["code"]
    unknown = api.post(f"/phones/{PHONE}/scan", json={"qr": code.replace("2@", "2@x", 1)})
    assert unknown.status_code == 404 and "no session" in unknown.json()["error"]
    assert api.post(f"/phones/{PHONE}/scan", json={"qr": code}).status_code == 200
    again = api.post(f"/phones/{OTHER}/scan", json={"qr": code})
    assert again.status_code == 409 and "already linked" in again.json()["error"]
    assert api.post("/phones/12/scan", json={"qr": code}).status_code == 400
    garbage = api.post(f"/phones/{PHONE}/scan", json={"qr": "hello"})
    assert garbage.status_code == 400 and "not a WhatsApp QR code" in garbage.json()["error"]


def test_a_superseded_code_is_409(api: TestClient) -> None:
    device = Device(api)
    device.connect()
    first = device.next_event("qr")
    # the first code lives 30 s here; a new connection supersedes it at once
    device.connect()
    second = device.next_event("qr")
    expired = api.post(f"/phones/{PHONE}/scan", json={"qr": first["code"]})
    assert expired.status_code == 409 and "expired" in expired.json()["error"]
    assert second["code"] != first["code"]


def test_qr_timeout_after_max_refs() -> None:
    with TestClient(create_app(QrSchedule(0.2, 0.2, 2))) as api:
        device = Device(api)
        device.connect()
        codes = [device.next_event("qr")["code"], device.next_event("qr")["code"]]
        assert len(set(codes)) == 2
        device.next_event("qr_timeout")


def test_reconnect_of_a_linked_device_needs_no_qr_and_replaces_the_old_stream(api: TestClient) -> None:
    device = linked_device(api, PHONE)
    old_connection = device.connection
    old_after = device.after
    device.connect()
    first = device.events()
    assert [e["type"] for e in first] == ["connected"]
    old = api.get(f"/devices/{device.id}/connections/{old_connection}/events",
                  params={"after": old_after, "timeout": 0}, headers=device.headers).json()
    assert [e["type"] for e in old["events"]] == ["stream_replaced"] and old["closed"] is True


def test_unlink_from_the_phone_logs_the_device_out_for_good(api: TestClient) -> None:
    device = linked_device(api, PHONE)
    assert api.delete(f"/phones/{PHONE}/devices/{device.id}").status_code == 200
    assert device.next_event("logged_out")["onConnect"] is False
    device.connect()
    assert device.next_event("logged_out")["onConnect"] is True
    assert api.delete(f"/phones/{PHONE}/devices/{device.id}").status_code == 404


def test_device_calls_need_the_device_secret(api: TestClient) -> None:
    device = Device(api)
    assert api.post(f"/devices/{device.id}/connections").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert api.post(f"/devices/{device.id}/connections", headers=wrong).status_code == 401
    assert api.post("/devices/unknown/connections", headers=device.headers).status_code == 401


def test_messages_between_devices_with_receipts_and_offline_delivery(api: TestClient) -> None:
    alice = linked_device(api, PHONE)
    bob = linked_device(api, OTHER)
    api.delete(f"/devices/{bob.id}/connections/{bob.connection}", headers=bob.headers)
    sent = api.post(f"/devices/{alice.id}/messages", headers=alice.headers,
                    json={"to": OTHER, "kind": "text", "content": {"text": "hi"}}).json()
    assert alice.next_event("receipt")["receiptType"] == "delivered"
    bob.connect()
    message = bob.next_event("message")
    assert (message["id"], message["from"], message["content"]) == (sent["id"], PHONE, {"text": "hi"})
    assert api.post(f"/devices/{bob.id}/read", headers=bob.headers, json={"ids": [sent["id"]]}).json() == {"read": 1}
    read = alice.next_event("receipt")
    assert (read["receiptType"], read["ids"]) == ("read", [sent["id"]])
    nobody = api.post(f"/devices/{alice.id}/messages", headers=alice.headers, json={"to": "5511000000001"})
    assert nobody.status_code == 404
    checked = api.post(f"/devices/{alice.id}/numbers", headers=alice.headers,
                       json={"phones": [OTHER, "5511000000001"]}).json()
    assert [r["exists"] for r in checked["results"]] == [True, False]


def test_phone_messages_calls_and_pairing_codes(api: TestClient) -> None:
    device = Device(api)
    device.connect()
    device.next_event("qr")
    code = api.post(f"/devices/{device.id}/pair", headers=device.headers, json={"phone": PHONE}).json()["code"]
    assert device.next_event("pair_code")["code"] == code
    assert api.post(f"/phones/{OTHER}/pair", json={"code": code}).status_code == 409
    assert api.post(f"/phones/{PHONE}/pair", json={"code": code}).status_code == 200
    device.next_event("connected")
    api.put(f"/phones/{OTHER}", json={"pushName": "Bia"})
    sent = api.post(f"/phones/{OTHER}/messages", json={"to": PHONE, "text": "oi"}).json()
    assert sent["deliveredTo"] == [device.id]
    message = device.next_event("message")
    assert (message["pushName"], message["content"]) == ("Bia", {"text": "oi"})
    call = api.post(f"/phones/{OTHER}/calls", json={"to": PHONE}).json()
    assert device.next_event("call")["callId"] == call["callId"]


def test_temporary_ban_disconnects_and_refuses_connections(api: TestClient) -> None:
    device = linked_device(api, PHONE)
    assert api.post(f"/phones/{PHONE}/ban", json={"seconds": 60}).status_code == 200
    assert device.next_event("temp_ban")["expiresAt"] > time.time()
    device.connect()
    assert device.next_event("temp_ban")


def test_linked_devices_survive_a_simulator_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with TestClient(create_app(QrSchedule(30, 1, 3), state_file=state)) as api:
        device = linked_device(api, PHONE)
    with TestClient(create_app(QrSchedule(30, 1, 3), state_file=state)) as api:
        device.api = api
        device.connect()
        assert device.next_event("connected")["phone"] == PHONE
