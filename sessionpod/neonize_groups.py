"""Group, profile and contact operations of the neonize backend.

``NeonizeGroups`` is mixed into ``NeonizeBackend``; each method maps to one
(or two) of neonize's client calls and turns neonize's errors into
``BackendError``. neonize is imported on first use, as in the backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mywhatsapp.sessionpod.backend import (
    BackendError,
    GroupInfo,
    GroupMember,
    InviteLink,
    ParticipantsChange,
    group_exists_by_info,
)

INVITE_PREFIX = "https://chat.whatsapp.com/"


def group_jid(group: str) -> Any:
    from neonize.utils.jid import build_jid

    return build_jid(group, "g.us")


def user_jid(phone: str) -> Any:
    from neonize.utils.jid import build_jid

    return build_jid(phone, "s.whatsapp.net")


def member_of(participant: Any) -> GroupMember:
    """A ``GroupMember`` from neonize's ``GroupParticipant`` (the phone number when WhatsApp gives one)."""
    user = participant.JID.User
    if participant.JID.Server == "lid" and participant.PhoneNumber.User:
        user = participant.PhoneNumber.User
    return GroupMember(user, bool(participant.IsAdmin or participant.IsSuperAdmin), bool(participant.IsSuperAdmin))


def info_of(group: Any) -> GroupInfo:
    """A ``GroupInfo`` from neonize's ``GroupInfo`` protobuf."""
    owner = group.OwnerPN.User or group.OwnerJID.User
    return GroupInfo(
        id=group.JID.User,
        subject=group.GroupName.Name,
        description=group.GroupTopic.Topic,
        owner=owner,
        created=float(group.GroupCreated),
        participants=tuple(member_of(p) for p in group.Participants),
    )


def change_of(requested: Sequence[str], participants: Sequence[Any]) -> ParticipantsChange:
    """Which requested numbers an answer's participants show as done (``Error`` 0) or refused."""
    done = {member_of(p).user for p in participants if not p.Error}
    return ParticipantsChange(tuple(p for p in requested if p in done),
                              tuple(p for p in requested if p not in done))


def code_of(link: str) -> str:
    return link.removeprefix(INVITE_PREFIX)


def refused(what: str, error: Exception) -> BackendError:
    """A ``BackendError`` for a neonize error, 404/403 when WhatsApp said so."""
    text = str(error)
    lowered = text.lower()
    status = 502
    if "item-not-found" in lowered or "404" in lowered or "not found" in lowered:
        status = 404
    elif "forbidden" in lowered or "403" in lowered or "not-authorized" in lowered or "401" in lowered:
        status = 403
    return BackendError(f"{what} failed: {text}", status=status)


class NeonizeGroups:
    """Groups, profile and contacts over neonize's async client."""

    def _connected_client(self) -> Any:  # provided by NeonizeBackend
        raise NotImplementedError

    # --- groups ---------------------------------------------------------------
    async def create_group(self, subject: str, participants: Sequence[str]) -> tuple[GroupInfo, ParticipantsChange]:
        from neonize.exc import NeonizeError

        try:
            created = await self._connected_client().create_group(subject, [user_jid(p) for p in participants])
        except NeonizeError as error:
            raise refused("creating the group", error) from error
        info = info_of(created)
        others = [p for p in created.Participants if member_of(p).user != info.owner]
        return info, change_of(participants, others)

    async def group_info(self, group: str) -> GroupInfo:
        from neonize.exc import NeonizeError

        try:
            return info_of(await self._connected_client().get_group_info(group_jid(group)))
        except NeonizeError as error:
            raise refused("reading the group", error) from error

    async def group_exists(self, group: str) -> bool:
        return await group_exists_by_info(self, group)

    async def joined_groups(self) -> list[GroupInfo]:
        from neonize.exc import NeonizeError

        try:
            return [info_of(g) for g in await self._connected_client().get_joined_groups()]
        except NeonizeError as error:
            raise refused("listing the groups", error) from error

    async def leave_group(self, group: str) -> None:
        from neonize.exc import NeonizeError

        try:
            await self._connected_client().leave_group(group_jid(group))
        except NeonizeError as error:
            raise refused("leaving the group", error) from error

    async def set_group_subject(self, group: str, subject: str) -> None:
        from neonize.exc import NeonizeError

        try:
            await self._connected_client().set_group_name(group_jid(group), subject)
        except NeonizeError as error:
            raise refused("renaming the group", error) from error

    async def set_group_description(self, group: str, description: str) -> None:
        """whatsmeow wants the current topic id as ``previous_id``; an empty ``new_id`` makes one."""
        from neonize.exc import NeonizeError

        client = self._connected_client()
        try:
            current = await client.get_group_info(group_jid(group))
            await client.set_group_topic(group_jid(group), current.GroupTopic.TopicID, "", description)
        except NeonizeError as error:
            raise refused("setting the group description", error) from error

    async def update_participants(self, group: str, action: str, participants: Sequence[str]) -> ParticipantsChange:
        from neonize.exc import NeonizeError
        from neonize.utils.enum import ParticipantChange

        try:
            change = ParticipantChange(action)
        except ValueError as error:
            raise BackendError(f"unknown participant action {action!r}", status=400) from error
        try:
            answer = await self._connected_client().update_group_participants(
                group_jid(group), [user_jid(p) for p in participants], change)
        except NeonizeError as error:
            raise refused(f"{action} participants", error) from error
        return change_of(participants, answer)

    async def group_invite_link(self, group: str, *, revoke: bool = False) -> InviteLink:
        from neonize.exc import NeonizeError

        try:
            link = await self._connected_client().get_group_invite_link(group_jid(group), revoke)
        except NeonizeError as error:
            raise refused("reading the invite link", error) from error
        return InviteLink(code_of(link), link if link.startswith(INVITE_PREFIX) else INVITE_PREFIX + link)

    async def join_group(self, code: str) -> str:
        from neonize.exc import NeonizeError

        try:
            return str((await self._connected_client().join_group_with_link(code_of(code))).User)
        except NeonizeError as error:
            raise refused("joining the group", error) from error

    async def group_info_from_invite(self, code: str) -> GroupInfo:
        from neonize.exc import NeonizeError

        try:
            return info_of(await self._connected_client().get_group_info_from_link(code_of(code)))
        except NeonizeError as error:
            raise refused("reading the invite", error) from error

    # --- profile and contacts -------------------------------------------------
    async def set_push_name(self, name: str) -> None:
        from neonize.exc import NeonizeError

        try:
            await self._connected_client().set_profile_name(name)
        except NeonizeError as error:
            raise refused("setting the push name", error) from error

    async def set_status_text(self, text: str) -> None:
        from neonize.exc import NeonizeError

        try:
            await self._connected_client().set_status_message(text)
        except NeonizeError as error:
            raise refused("setting the status text", error) from error

    async def contact_status(self, phone: str) -> str | None:
        from neonize.exc import NeonizeError

        try:
            answers = await self._connected_client().get_user_info(user_jid(phone))
        except NeonizeError as error:
            raise refused("reading the contact", error) from error
        for answer in answers:
            if answer.JID.User == phone:
                return answer.UserInfo.Status or None
        return None

    async def profile_picture_url(self, phone: str) -> str | None:
        from neonize.exc import NeonizeError

        try:
            picture = await self._connected_client().get_profile_picture(user_jid(phone))
        except NeonizeError as error:
            failure = refused("reading the profile picture", error)
            if failure.status in (403, 404):  # no picture, or hidden from us
                return None
            raise failure from error
        return picture.URL or None if picture is not None else None
