"""The simulator's groups: the model (``simulator/groups.py``) and its HTTP routes, in process."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from mywhatsapp.simulator import delivery, groups
from mywhatsapp.simulator.app import create_app
from mywhatsapp.simulator.model import SimulatorError
from mywhatsapp.simulator.qr import QrSchedule
from mywhatsapp.simulator.world import World

ANA, BIA, CAU, DUDA = "5511900000001", "5511900000002", "5511900000003", "5511900000004"
UNKNOWN = "5511900000099"


@pytest.fixture
def world() -> World:
    w = World(QrSchedule(30.0, 1.0, 3))
    for number in (ANA, BIA, CAU, DUDA):
        w.phone(number, create=True)
    return w


def test_create_adds_known_accounts_and_reports_the_rest(world: World) -> None:
    created = groups.create(world, ANA, "Família", [BIA, UNKNOWN, BIA, ANA, "12"])
    assert created["valid"] == [BIA]
    assert created["invalid"] == [UNKNOWN, ANA, "12"]
    group = world.groups[created["id"]]
    assert created["jid"] == f"{group.id}@g.us" and group.id.startswith("120363")
    assert (group.members, group.admins, group.owner) == ([ANA, BIA], [ANA], ANA)
    assert [g.id for g in groups.groups_of(world, BIA)] == [group.id]
    assert groups.groups_of(world, CAU) == []
    participants = created["participants"]
    assert participants == [{"phone": ANA, "admin": True, "superAdmin": True},
                            {"phone": BIA, "admin": False, "superAdmin": False}]


def test_subject_must_not_be_empty(world: World) -> None:
    with pytest.raises(SimulatorError) as refused:
        groups.create(world, ANA, "   ", [BIA])
    assert refused.value.status == 400


def test_only_admins_change_the_group_and_promote_demote_work(world: World) -> None:
    gid = groups.create(world, ANA, "G", [BIA, CAU])["id"]
    with pytest.raises(SimulatorError) as refused:
        groups.set_subject(world, BIA, gid, "mine")
    assert refused.value.status == 403
    assert groups.change_participants(world, ANA, gid, "promote", [BIA, DUDA]) == {
        "valid": [BIA], "invalid": [DUDA]}
    assert groups.set_subject(world, BIA, gid, "Nova").subject == "Nova"
    assert groups.set_description(world, BIA, gid, "regras").description == "regras"
    # the owner can neither be demoted nor removed
    assert groups.change_participants(world, BIA, gid, "demote", [ANA, BIA]) == {"valid": [BIA], "invalid": [ANA]}
    assert world.groups[gid].admins == [ANA]
    assert groups.change_participants(world, ANA, gid, "remove", [ANA, CAU, DUDA]) == {
        "valid": [CAU], "invalid": [ANA, DUDA]}
    assert groups.change_participants(world, ANA, gid, "add", [DUDA, BIA, UNKNOWN]) == {
        "valid": [DUDA], "invalid": [BIA, UNKNOWN]}
    assert world.groups[gid].members == [ANA, BIA, DUDA]
    with pytest.raises(SimulatorError) as refused:
        groups.change_participants(world, CAU, gid, "add", [CAU])
    assert refused.value.status == 403
    with pytest.raises(SimulatorError) as refused:
        groups.change_participants(world, ANA, gid, "kick", [BIA])
    assert refused.value.status == 400


def test_invite_codes_join_and_revoke(world: World) -> None:
    gid = groups.create(world, ANA, "G", [])["id"]
    with pytest.raises(SimulatorError):
        groups.by_invite(world, "nothing")
    link = groups.invite(world, ANA, gid)
    assert link["url"] == groups.INVITE_URL + link["code"] and len(link["code"]) == 22
    assert groups.invite(world, ANA, gid) == link  # stable until revoked
    assert groups.by_invite(world, link["url"]).id == gid
    assert groups.join(world, CAU, link["code"]).members == [ANA, CAU]
    with pytest.raises(SimulatorError) as again:
        groups.join(world, CAU, link["code"])
    assert again.value.status == 409
    new = groups.invite(world, ANA, gid, revoke=True)
    assert new["code"] != link["code"]
    with pytest.raises(SimulatorError) as revoked:
        groups.join(world, DUDA, link["code"])
    assert revoked.value.status == 404
    with pytest.raises(SimulatorError) as not_admin:
        groups.invite(world, CAU, gid)
    assert not_admin.value.status == 403


def test_leaving_hands_admin_on_and_the_last_one_out_ends_the_group(world: World) -> None:
    gid = groups.create(world, ANA, "G", [BIA])["id"]
    groups.leave(world, ANA, gid)
    assert (world.groups[gid].members, world.groups[gid].admins) == ([BIA], [BIA])
    with pytest.raises(SimulatorError) as gone:
        groups.as_member(world, ANA, gid)
    assert gone.value.status == 403
    groups.leave(world, BIA, gid)
    assert gid not in world.groups
    with pytest.raises(SimulatorError) as unknown:
        groups.get(world, gid)
    assert unknown.value.status == 404


def test_group_messages_reach_the_other_members_only(world: World) -> None:
    gid = groups.create(world, ANA, "G", [BIA, CAU])["id"]
    sent = delivery.send(world, BIA, f"{gid}@g.us", "text", {"text": "oi"}, from_device=None)
    assert sent["group"] == f"{gid}@g.us" and sent["from"] == BIA
    assert [m["content"] for m in world.phones[ANA].inbox] == [{"text": "oi"}]
    assert [m["group"] for m in world.phones[CAU].inbox] == [f"{gid}@g.us"]
    assert world.phones[BIA].inbox == [] and world.phones[DUDA].inbox == []
    with pytest.raises(SimulatorError) as outsider:
        delivery.send(world, DUDA, f"{gid}@g.us", "text", {"text": "x"}, from_device=None)
    assert outsider.value.status == 403
    with pytest.raises(SimulatorError) as missing:
        delivery.send(world, ANA, "120363999999999999@g.us", "text", {"text": "x"}, from_device=None)
    assert missing.value.status == 404


def test_groups_survive_a_snapshot(world: World) -> None:
    gid = groups.create(world, ANA, "G", [BIA])["id"]
    code = groups.invite(world, ANA, gid)["code"]
    copy = World(QrSchedule(30.0, 1.0, 3))
    copy.restore(world.snapshot())
    assert copy.groups[gid] == world.groups[gid] and copy.groups[gid].invite_code == code


# --- over HTTP, with linked devices -----------------------------------------------


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(QrSchedule(30.0, 0.3, 3), state_file=tmp_path / "sim.json")) as client:
        yield client


class LinkedDevice:
    def __init__(self, api: TestClient, phone: str) -> None:
        self.api = api
        registered = api.post("/devices", json={"name": "dev"}).json()
        self.path = f"/devices/{registered['deviceId']}"
        self.headers = {"Authorization": f"Bearer {registered['secret']}"}
        self.connection = api.post(f"{self.path}/connections", headers=self.headers).json()["connectionId"]
        self.after = 0
        qr = self.next_event("qr")
        assert api.post(f"/phones/{phone}/scan", json={"qr": qr["code"]}).status_code == 200
        self.next_event("connected")

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.api.request(method, self.path + path, headers=self.headers, **kwargs)

    def next_event(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.call("GET", f"/connections/{self.connection}/events",
                               params={"after": self.after, "timeout": 0.5}).json()
            for event in answer["events"]:
                self.after = event["seq"]
                if event["type"] == kind:
                    return event
        raise AssertionError(f"no {kind!r} event within {timeout}s")


def test_device_group_routes_and_group_messages(api: TestClient) -> None:
    ana, bia = LinkedDevice(api, ANA), LinkedDevice(api, BIA)
    created = ana.call("POST", "/groups", json={"subject": "Loja", "participants": [BIA, UNKNOWN]})
    assert created.status_code == 201 and created.json()["invalid"] == [UNKNOWN]
    gid = created.json()["id"]
    assert bia.next_event("group_update")["action"] == "create"
    assert [g["id"] for g in bia.call("GET", "/groups").json()["groups"]] == [gid]
    assert bia.call("PUT", f"/groups/{gid}/subject", json={"subject": "x"}).status_code == 403
    sent = ana.call("POST", "/messages", json={"to": f"{gid}@g.us", "text": "x", "content": {"text": "oi"}})
    assert sent.status_code == 200, sent.text
    message = bia.next_event("message")
    assert (message["group"], message["from"], message["content"]) == (f"{gid}@g.us", ANA, {"text": "oi"})
    receipt = ana.next_event("receipt")
    assert receipt["chat"] == f"{gid}@g.us" and receipt["ids"] == [sent.json()["id"]]
    code = ana.call("GET", f"/groups/{gid}/invite").json()["code"]
    assert bia.call("GET", f"/invites/{code}").json()["subject"] == "Loja"
    api.put(f"/phones/{CAU}", json={"pushName": "Cau"})
    assert api.get(f"/groups/{gid}").json()["inviteCode"] == code


def test_profile_push_name_and_status_seen_by_contacts(api: TestClient) -> None:
    ana, bia = LinkedDevice(api, ANA), LinkedDevice(api, BIA)
    assert ana.call("PUT", "/profile", json={"pushName": "Ana Loja", "status": "Aberto"}).status_code == 200
    seen = bia.call("GET", f"/contacts/{ANA}").json()
    assert (seen["pushName"], seen["status"], seen["pictureUrl"]) == ("Ana Loja", "Aberto", None)
    api.put(f"/phones/{ANA}", json={"pictureUrl": "https://pics.example/ana.jpg"})
    assert bia.call("GET", f"/contacts/{ANA}").json()["pictureUrl"] == "https://pics.example/ana.jpg"
    assert bia.call("GET", f"/contacts/{UNKNOWN}").status_code == 404
