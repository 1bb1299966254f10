"""Groups, profile and contacts through the internal API: real simulator, real session pods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.sessionpod.harness import Pod, Simulator, StatusSink, wait_for
from tests.sessionpod.test_sessionpod_flows import link

PHONE_A = "5511999991001"
PHONE_B = "5511999991002"
PHONE_C = "5511999991003"
NOBODY = "5511999991099"


def events_of(pod: Pod, kind: str) -> list[dict[str, Any]]:
    return [e for e in pod.call("GET", "/v1/events").json()["events"] if e["type"] == kind]


def two_linked(start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink) -> tuple[Pod, Pod]:
    pod_a, pod_b = start_pod("group-a"), start_pod("group-b")
    link(pod_a, PHONE_A, simulator, sink)
    link(pod_b, PHONE_B, simulator, sink)
    return pod_a, pod_b


def test_created_group_is_seen_by_members_and_its_messages_arrive(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod_a, pod_b = two_linked(start_pod, simulator, sink)
    simulator.http.put(f"/phones/{PHONE_C}", json={"pushName": "Cau"})

    created = pod_a.call("POST", "/v1/groups", json={"subject": "Equipe", "participants": [PHONE_B, PHONE_C, NOBODY]})
    assert created.status_code == 200, created.text
    group = created.json()
    assert (group["valid"], group["invalid"]) == ([PHONE_B, PHONE_C], [NOBODY])
    gid = group["groupId"]
    assert group["jid"] == f"{gid}@g.us" and group["owner"] == PHONE_A and group["size"] == 3

    listed = pod_b.call("GET", "/v1/groups").json()["groups"]
    assert [(g["groupId"], g["subject"]) for g in listed] == [(gid, "Equipe")]
    info = pod_b.call("GET", f"/v1/groups/{gid}@g.us").json()
    assert {p["user"]: p["admin"] for p in info["participants"]} == {PHONE_A: True, PHONE_B: False, PHONE_C: False}
    assert pod_b.call("GET", f"/v1/groups/{gid}/exists").json()["exists"] is True
    assert pod_b.call("GET", "/v1/groups/120363000000000042/exists").json()["exists"] is False

    sent = pod_a.call("POST", "/v1/messages/text", json={"to": f"{gid}@g.us", "text": "bom dia"})
    assert sent.status_code == 200, sent.text
    message_id = sent.json()["id"]
    message = wait_for(lambda: next((e for e in events_of(pod_b, "message") if e["id"] == message_id), None),
                       timeout=10, what="the group message at session B")
    assert (message["chat"], message["sender"], message["isGroup"]) == (f"{gid}@g.us", PHONE_A, True)
    assert message["content"]["text"] == "bom dia" and message["fromMe"] is False
    inbox = simulator.http.get(f"/phones/{PHONE_C}/messages").json()["messages"]
    assert [m["id"] for m in inbox] == [message_id]

    assert pod_b.call("POST", f"/v1/groups/{gid}/leave").json() == {"ok": True}
    assert pod_b.call("GET", "/v1/groups").json()["groups"] == []
    assert pod_b.call("GET", f"/v1/groups/{gid}").status_code == 403


def test_promote_and_demote_decide_who_may_change_the_group(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod_a, pod_b = two_linked(start_pod, simulator, sink)
    gid = pod_a.call("POST", "/v1/groups", json={"subject": "Admins", "participants": [PHONE_B]}).json()["groupId"]

    refused = pod_b.call("PUT", f"/v1/groups/{gid}/subject", json={"subject": "B manda"})
    assert refused.status_code == 403, refused.text

    promoted = pod_a.call("POST", f"/v1/groups/{gid}/participants/promote", json={"participants": [PHONE_B, NOBODY]})
    assert promoted.json() == {"valid": [PHONE_B], "invalid": [NOBODY]}
    assert pod_b.call("PUT", f"/v1/groups/{gid}/subject", json={"subject": "B manda"}).status_code == 200
    assert pod_b.call("PUT", f"/v1/groups/{gid}/description", json={"description": "regras"}).status_code == 200
    info = pod_a.call("GET", f"/v1/groups/{gid}").json()
    assert (info["subject"], info["description"]) == ("B manda", "regras")
    assert {p["user"]: p["admin"] for p in info["participants"]} == {PHONE_A: True, PHONE_B: True}

    demoted = pod_a.call("POST", f"/v1/groups/{gid}/participants/demote", json={"participants": [PHONE_B]})
    assert demoted.json() == {"valid": [PHONE_B], "invalid": []}
    assert pod_b.call("PUT", f"/v1/groups/{gid}/subject", json={"subject": "de novo"}).status_code == 403
    removed = pod_a.call("POST", f"/v1/groups/{gid}/participants/remove", json={"participants": [PHONE_B]})
    assert removed.json() == {"valid": [PHONE_B], "invalid": []}
    assert [p["user"] for p in pod_a.call("GET", f"/v1/groups/{gid}").json()["participants"]] == [PHONE_A]

    # bad bodies name the field; unknown actions are 404
    bad = pod_a.call("POST", f"/v1/groups/{gid}/participants/add", json={"participants": ["abc"]})
    assert bad.status_code == 400 and bad.json()["details"][0]["loc"] == ["participants", 0]
    bad = pod_a.call("POST", "/v1/groups", json={"participants": [PHONE_B]})
    assert bad.status_code == 400 and bad.json()["details"][0]["loc"] == ["subject"]
    assert pod_a.call("POST", f"/v1/groups/{gid}/participants/kick", json={"participants": [PHONE_B]}).status_code == 404
    assert pod_a.call("GET", "/v1/groups/not-a-group").status_code == 400


def test_invite_link_join_and_revoke(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod_a, pod_b = two_linked(start_pod, simulator, sink)
    gid = pod_a.call("POST", "/v1/groups", json={"subject": "Convite"}).json()["groupId"]
    assert pod_b.call("GET", f"/v1/groups/{gid}").status_code == 403  # not a member yet

    link_answer = pod_a.call("GET", f"/v1/groups/{gid}/invite").json()
    code = link_answer["inviteCode"]
    assert link_answer["inviteUrl"] == f"https://chat.whatsapp.com/{code}"
    preview = pod_b.call("GET", f"/v1/groups/invites/{code}").json()
    assert (preview["groupId"], preview["subject"]) == (gid, "Convite")

    joined = pod_b.call("POST", "/v1/groups/join", json={"inviteCode": link_answer["inviteUrl"]})
    assert joined.json() == {"groupId": gid, "jid": f"{gid}@g.us"}, joined.text
    members = [p["user"] for p in pod_a.call("GET", f"/v1/groups/{gid}").json()["participants"]]
    assert members == [PHONE_A, PHONE_B]

    revoked = pod_a.call("POST", f"/v1/groups/{gid}/invite/revoke").json()
    assert revoked["inviteCode"] != code
    assert pod_b.call("GET", f"/v1/groups/invites/{code}").status_code == 404
    assert pod_b.call("GET", f"/v1/groups/invites/{revoked['inviteCode']}").json()["groupId"] == gid


def test_push_name_and_status_text_are_seen_by_a_contact(
    start_pod: Callable[..., Pod], simulator: Simulator, sink: StatusSink
) -> None:
    pod_a, pod_b = two_linked(start_pod, simulator, sink)
    assert pod_a.call("PUT", "/v1/profile/name", json={"name": "Loja Nova"}).status_code == 200
    assert pod_a.call("PUT", "/v1/profile/status", json={"status": "Aberto 9-18h"}).status_code == 200
    too_long = pod_a.call("PUT", "/v1/profile/name", json={"name": "x" * 26})
    assert too_long.status_code == 400 and too_long.json()["details"][0]["loc"] == ["name"]

    sent = pod_a.call("POST", "/v1/messages/text", json={"to": PHONE_B, "text": "oi"}).json()
    message = wait_for(lambda: next((e for e in events_of(pod_b, "message") if e["id"] == sent["id"]), None),
                       timeout=10, what="the message at session B")
    assert message["pushName"] == "Loja Nova"
    assert simulator.http.get(f"/phones/{PHONE_A}").json()["pushName"] == "Loja Nova"
    assert pod_b.call("GET", f"/v1/contacts/{PHONE_A}/status").json() == {"phone": PHONE_A, "status": "Aberto 9-18h"}

    assert pod_b.call("GET", f"/v1/contacts/{PHONE_A}/picture").json() == {"phone": PHONE_A, "url": None}
    simulator.http.put(f"/phones/{PHONE_A}", json={"pictureUrl": "https://pics.example/a.jpg"})
    assert pod_b.call("GET", f"/v1/contacts/{PHONE_A}@s.whatsapp.net/picture").json()["url"] == (
        "https://pics.example/a.jpg")
    assert pod_b.call("GET", f"/v1/contacts/{NOBODY}/status").status_code == 404


def test_group_and_profile_routes_need_a_connected_session_and_the_token(
    start_pod: Callable[..., Pod], sink: StatusSink
) -> None:
    pod = start_pod("not-linked")
    sink.wait(pod.name, lambda s: bool(s.get("qr")), timeout=20, what="a QR code")
    for method, path, body in [("POST", "/v1/groups", {"subject": "x"}), ("GET", "/v1/groups", None),
                               ("PUT", "/v1/profile/name", {"name": "x"}),
                               ("GET", f"/v1/contacts/{PHONE_A}/status", None)]:
        answer = pod.call(method, path, json=body)
        assert answer.status_code == 409, (path, answer.text)
        unauthorized = pod.http.request(method, path, json=body, headers={"Authorization": "Bearer wrong"})
        assert unauthorized.status_code == 401
