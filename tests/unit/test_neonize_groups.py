"""Contract tests of the neonize backend's groups, profile and contacts, offline.

The calls go through neonize's real client methods (``create_group``,
``update_group_participants``, ...) with the Go handle replaced by a recorder
that decodes what would have gone to the network and answers with the
protobufs the Go side returns.
"""

from __future__ import annotations

import asyncio
import gc
import subprocess
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ResourceWarning)  # neonize's unreaped "uname -a", see test_neonize_contract
    import neonize.aioze.client  # noqa: F401

    subprocess.run(["true"], check=True)
    gc.collect()

from neonize.proto import Neonize_pb2 as pb

from mywhatsapp.sessionpod.backend import BackendError, GroupMember, ParticipantsChange
from mywhatsapp.sessionpod.neonize_backend import NeonizeBackend

ME = "5511999990000"
PEER = "5511988887777"
OTHER = "5511977776666"
GROUP = "120363000000000001"


def user(number: str) -> pb.JID:
    return pb.JID(User=number, Server="s.whatsapp.net")


def group_info(participants: list[pb.GroupParticipant]) -> pb.GroupInfo:
    return pb.GroupInfo(
        JID=pb.JID(User=GROUP, Server="g.us"), OwnerJID=user(ME), GroupName=pb.GroupName(Name="Loja"),
        GroupTopic=pb.GroupTopic(Topic="regras", TopicID="T1"), GroupCreated=1_800_000_000,
        Participants=participants,
    )


class FakeGo:
    """Records group/profile calls as the Go side would receive them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail_info = ""

    async def GenerateMessageID(self, uuid: bytes) -> bytes:  # noqa: N802 - the Go function's name
        return b"3EB0KEY"

    async def CreateGroup(self, uuid: bytes, data: bytes, size: int) -> bytes:  # noqa: N802
        request = pb.ReqCreateGroup.FromString(data[:size])
        self.calls.append(("CreateGroup", request))
        participants = [pb.GroupParticipant(JID=user(ME), IsAdmin=True, IsSuperAdmin=True)] + [
            pb.GroupParticipant(JID=jid, Error=403 if jid.User == OTHER else 0) for jid in request.Participants]
        return pb.GetGroupInfoReturnFunction(GroupInfo=group_info(participants)).SerializePartialToString()

    async def GetGroupInfo(self, uuid: bytes, jid: bytes, size: int) -> bytes:  # noqa: N802
        self.calls.append(("GetGroupInfo", pb.JID.FromString(jid[:size])))
        if self.fail_info:
            return pb.GetGroupInfoReturnFunction(Error=self.fail_info).SerializePartialToString()
        info = group_info([pb.GroupParticipant(JID=user(ME), IsAdmin=True, IsSuperAdmin=True),
                           pb.GroupParticipant(JID=user(PEER))])
        return pb.GetGroupInfoReturnFunction(GroupInfo=info).SerializePartialToString()

    async def SetGroupTopic(self, uuid: bytes, jid: bytes, size: int, previous: bytes, new: bytes,  # noqa: N802
                            topic: bytes) -> bytes:
        self.calls.append(("SetGroupTopic", (pb.JID.FromString(jid[:size]).User, previous, new, topic)))
        return b""

    async def UpdateGroupParticipants(self, uuid: bytes, jid: bytes, size: int, jids: bytes,  # noqa: N802
                                      jids_size: int, action: bytes) -> bytes:
        targets = pb.JIDArray.FromString(jids[:jids_size]).JIDS
        self.calls.append(("UpdateGroupParticipants", (pb.JID.FromString(jid[:size]).User,
                                                      [t.User for t in targets], action)))
        answer = [pb.GroupParticipant(JID=t, Error=404 if t.User == OTHER else 0) for t in targets]
        return pb.UpdateGroupParticipantsReturnFunction(participants=answer).SerializePartialToString()

    async def GetGroupInviteLink(self, uuid: bytes, jid: bytes, size: int, revoke: bool) -> bytes:  # noqa: N802
        self.calls.append(("GetGroupInviteLink", (pb.JID.FromString(jid[:size]).User, revoke)))
        link = "https://chat.whatsapp.com/" + ("NEWCODE123" if revoke else "CODE123456")
        return pb.GetGroupInviteLinkReturnFunction(InviteLink=link).SerializePartialToString()

    async def JoinGroupWithLink(self, uuid: bytes, code: bytes) -> bytes:  # noqa: N802
        self.calls.append(("JoinGroupWithLink", code))
        return pb.JoinGroupWithLinkReturnFunction(Jid=pb.JID(User=GROUP, Server="g.us")).SerializePartialToString()

    async def SetPushName(self, uuid: bytes, name: bytes) -> bytes:  # noqa: N802
        self.calls.append(("SetPushName", name))
        return b""

    async def SetStatusMessage(self, uuid: bytes, text: bytes) -> bytes:  # noqa: N802
        self.calls.append(("SetStatusMessage", text))
        return b""

    async def GetUserInfo(self, uuid: bytes, jids: bytes, size: int) -> bytes:  # noqa: N802
        targets = pb.JIDArray.FromString(jids[:size]).JIDS
        answers = [pb.GetUserInfoSingleReturnFunction(JID=t, UserInfo=pb.UserInfo(Status="Disponível"))
                   for t in targets]
        return pb.GetUserInfoReturnFunction(UsersInfo=answers).SerializePartialToString()

    async def GetProfilePicture(self, uuid: bytes, jid: bytes, size: int, extra: bytes,  # noqa: N802
                                extra_size: int) -> bytes:
        if pb.JID.FromString(jid[:size]).User == OTHER:
            return pb.GetProfilePictureReturnFunction(Error="the user has hidden their profile picture from you"
                                                      " (401 not-authorized)").SerializePartialToString()
        picture = pb.ProfilePictureInfo(URL="https://pps.whatsapp.net/v/x.jpg", ID="1")
        return pb.GetProfilePictureReturnFunction(Picture=picture).SerializePartialToString()


def run(tmp_path: Path, scenario: Callable[[NeonizeBackend, FakeGo], Awaitable[None]]) -> None:
    async def main() -> None:
        backend = NeonizeBackend(state_dir=tmp_path, device_name="Loja-1")
        client = backend.prepare(lambda _: None)
        go = FakeGo()
        client._NewAClient__client = go
        await scenario(backend, go)

    asyncio.run(main())


def test_create_group_sends_subject_and_participants_and_reports_failed_adds(tmp_path: Path) -> None:
    async def scenario(backend: NeonizeBackend, go: FakeGo) -> None:
        info, change = await backend.create_group("Loja", [PEER, OTHER])
        (name, request), = go.calls
        assert name == "CreateGroup" and request.name == "Loja" and request.CreateKey == "3EB0KEY"
        assert [(j.User, j.Server) for j in request.Participants] == [(PEER, "s.whatsapp.net"),
                                                                      (OTHER, "s.whatsapp.net")]
        assert (info.id, info.jid, info.subject, info.owner) == (GROUP, f"{GROUP}@g.us", "Loja", ME)
        assert info.participants[0] == GroupMember(ME, True, True)
        assert change == ParticipantsChange((PEER,), (OTHER,))

    run(tmp_path, scenario)


@pytest.mark.parametrize("action", ["add", "remove", "promote", "demote"])
def test_participant_changes_name_the_action(tmp_path: Path, action: str) -> None:
    async def scenario(backend: NeonizeBackend, go: FakeGo) -> None:
        change = await backend.update_participants(GROUP, action, [PEER, OTHER])
        assert go.calls == [("UpdateGroupParticipants", (GROUP, [PEER, OTHER], action.encode()))]
        assert change == ParticipantsChange((PEER,), (OTHER,))

    run(tmp_path, scenario)


def test_description_uses_the_current_topic_id(tmp_path: Path) -> None:
    async def scenario(backend: NeonizeBackend, go: FakeGo) -> None:
        await backend.set_group_description(GROUP, "novas regras")
        assert go.calls[-1] == ("SetGroupTopic", (GROUP, b"T1", b"", b"novas regras"))

    run(tmp_path, scenario)


def test_invite_links_join_and_group_existence(tmp_path: Path) -> None:
    async def scenario(backend: NeonizeBackend, go: FakeGo) -> None:
        link = await backend.group_invite_link(GROUP)
        assert (link.code, link.url) == ("CODE123456", "https://chat.whatsapp.com/CODE123456")
        assert (await backend.group_invite_link(GROUP, revoke=True)).code == "NEWCODE123"
        assert go.calls[-1] == ("GetGroupInviteLink", (GROUP, True))
        assert await backend.join_group("https://chat.whatsapp.com/CODE123456") == GROUP
        assert go.calls[-1] == ("JoinGroupWithLink", b"CODE123456")
        assert await backend.group_exists(GROUP) is True
        go.fail_info = "item-not-found"
        assert await backend.group_exists(GROUP) is False
        go.fail_info = "internal-server-error (500)"
        with pytest.raises(BackendError) as failed:
            await backend.group_info(GROUP)
        assert failed.value.status == 502

    run(tmp_path, scenario)


def test_profile_and_contacts(tmp_path: Path) -> None:
    async def scenario(backend: NeonizeBackend, go: FakeGo) -> None:
        await backend.set_push_name("Loja Nova")
        await backend.set_status_text("Aberto")
        assert go.calls == [("SetPushName", b"Loja Nova"), ("SetStatusMessage", b"Aberto")]
        assert await backend.contact_status(PEER) == "Disponível"
        assert await backend.profile_picture_url(PEER) == "https://pps.whatsapp.net/v/x.jpg"
        assert await backend.profile_picture_url(OTHER) is None  # hidden

    run(tmp_path, scenario)


def test_group_requests_before_start_are_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        backend = NeonizeBackend(state_dir=tmp_path, device_name="x")
        with pytest.raises(BackendError) as refused:
            await backend.create_group("x", [PEER])
        assert refused.value.status == 409

    asyncio.run(scenario())
