"""Groups of the simulated WhatsApp: members, admins, subject, description, invite codes.

A group lives in ``World.groups`` under its bare id (its JID is ``<id>@g.us``).
Its creator is the owner (super admin) and an admin; only admins change the
subject, the description, the participants or the invite code. Changes are
told to the members' devices as ``group_update`` events. Messages to a group
are in ``mywhatsapp.simulator.delivery``.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from mywhatsapp.simulator.delivery import to_account
from mywhatsapp.simulator.model import Group, SimulatorError
from mywhatsapp.simulator.world import World

GROUP_SERVER = "g.us"
MAX_SUBJECT = 100
MAX_DESCRIPTION = 2048
MAX_MEMBERS = 1024
ACTIONS = ("add", "remove", "promote", "demote")
INVITE_URL = "https://chat.whatsapp.com/"
_GROUP_ID = re.compile(r"[0-9]{5,30}(-[0-9]{5,20})?")
_CODE_ALPHABET = string.ascii_letters + string.digits


def bare_id(group: str) -> str:
    """The bare id of ``group`` (``<id>`` or ``<id>@g.us``); 400 if it is neither."""
    text = group.strip()
    if text.endswith("@" + GROUP_SERVER):
        text = text[: -len(GROUP_SERVER) - 1]
    if not _GROUP_ID.fullmatch(text):
        raise SimulatorError(400, f"{group!r} is not a group id")
    return text


def is_group_address(to: str) -> bool:
    """True if a message recipient names a group (``<id>@g.us``)."""
    return to.strip().endswith("@" + GROUP_SERVER)


def _new_id(world: World) -> str:
    while True:
        candidate = "120363" + "".join(secrets.choice(string.digits) for _ in range(12))
        if candidate not in world.groups:
            return candidate


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(22))


def _notify(world: World, group: Group, action: str, by: str, participants: list[str],
            also: list[str] | None = None) -> None:
    """Tell every member's devices (and ``also``: e.g. who just left) about a change."""
    event = {"type": "group_update", "group": group.jid, "action": action, "by": by,
             "participants": participants, "subject": group.subject, "timestamp": world.now()}
    for number in dict.fromkeys([*group.members, *(also or [])]):
        to_account(world, number, event)


def get(world: World, group: str) -> Group:
    """The group (404 if there is none)."""
    found = world.groups.get(bare_id(group))
    if found is None:
        raise SimulatorError(404, f"group {group} does not exist")
    return found


def as_member(world: World, number: str, group: str) -> Group:
    """The group, if ``number`` is in it (404 unknown group, 403 not a participant)."""
    found = get(world, group)
    if number not in found.members:
        raise SimulatorError(403, f"{number} is not a participant of group {found.id}")
    return found


def as_admin(world: World, number: str, group: str) -> Group:
    """The group, if ``number`` is one of its admins (403 otherwise)."""
    found = as_member(world, number, group)
    if number not in found.admins:
        raise SimulatorError(403, f"{number} is not an admin of group {found.id}")
    return found


def _subject(subject: str) -> str:
    text = subject.strip()
    if not 1 <= len(text) <= MAX_SUBJECT:
        raise SimulatorError(400, f"a group subject has 1 to {MAX_SUBJECT} characters")
    return text


def create(world: World, creator: str, subject: str, participants: list[str]) -> dict[str, Any]:
    """``creator`` makes a group with whichever ``participants`` are accounts here."""
    world.phone(creator)
    group = Group(id=_new_id(world), subject=_subject(subject), owner=creator, created=world.now(),
                  members=[creator], admins=[creator])
    valid, invalid = [], []
    for number in dict.fromkeys(participants):
        if number in world.phones and number != creator and len(group.members) < MAX_MEMBERS:
            group.members.append(number)
            valid.append(number)
        else:
            invalid.append(number)
    world.groups[group.id] = group
    world.changed()
    _notify(world, group, "create", creator, list(group.members))
    return {**group.public(), "valid": valid, "invalid": invalid}


def groups_of(world: World, number: str) -> list[Group]:
    """The groups ``number`` is a participant of, oldest first."""
    return [group for group in world.groups.values() if number in group.members]


def leave(world: World, number: str, group: str) -> None:
    """``number`` leaves; the oldest member becomes admin if no admin is left; an empty group ends."""
    found = as_member(world, number, group)
    found.members.remove(number)
    if number in found.admins:
        found.admins.remove(number)
    if not found.members:
        del world.groups[found.id]
    elif not found.admins:
        found.admins.append(found.members[0])
    world.changed()
    _notify(world, found, "leave", number, [number], also=[number])


def set_subject(world: World, number: str, group: str, subject: str) -> Group:
    found = as_admin(world, number, group)
    found.subject = _subject(subject)
    world.changed()
    _notify(world, found, "subject", number, [])
    return found


def set_description(world: World, number: str, group: str, description: str) -> Group:
    found = as_admin(world, number, group)
    if len(description) > MAX_DESCRIPTION:
        raise SimulatorError(400, f"a group description has at most {MAX_DESCRIPTION} characters")
    found.description = description
    world.changed()
    _notify(world, found, "description", number, [])
    return found


def change_participants(world: World, number: str, group: str, action: str,
                        participants: list[str]) -> dict[str, list[str]]:
    """An admin adds, removes, promotes or demotes; which numbers it worked for and which not."""
    if action not in ACTIONS:
        raise SimulatorError(400, f"action must be one of {', '.join(ACTIONS)}")
    found = as_admin(world, number, group)
    valid, invalid = [], []
    removed = []
    for target in dict.fromkeys(participants):
        member = target in found.members
        if action == "add":
            ok = not member and target in world.phones and len(found.members) < MAX_MEMBERS
            if ok:
                found.members.append(target)
        elif action == "remove":
            ok = member and target != found.owner
            if ok:
                found.members.remove(target)
                if target in found.admins:
                    found.admins.remove(target)
                removed.append(target)
        elif action == "promote":
            ok = member
            if ok and target not in found.admins:
                found.admins.append(target)
        else:  # demote: the owner stays an admin
            ok = member and target != found.owner
            if ok and target in found.admins:
                found.admins.remove(target)
        (valid if ok else invalid).append(target)
    if valid:
        world.changed()
        _notify(world, found, action, number, valid, also=removed)
    return {"valid": valid, "invalid": invalid}


def invite(world: World, number: str, group: str, *, revoke: bool = False) -> dict[str, str]:
    """The group's invite code (a new one when ``revoke``, which voids the old); admins only."""
    found = as_admin(world, number, group)
    if revoke or not found.invite_code:
        found.invite_code = _new_code()
        world.changed()
    return {"code": found.invite_code, "url": INVITE_URL + found.invite_code}


def invite_code(code: str) -> str:
    """The code of an invite code or link (``https://chat.whatsapp.com/<code>``)."""
    return code.strip().removeprefix(INVITE_URL)


def by_invite(world: World, code: str) -> Group:
    """The group whose current invite code is ``code`` (404 if none: unknown or revoked)."""
    wanted = invite_code(code)
    for group in world.groups.values():
        if wanted and secrets.compare_digest(group.invite_code, wanted):
            return group
    raise SimulatorError(404, "no group has this invite code (it may have been revoked)")


def join(world: World, number: str, code: str) -> Group:
    """``number`` joins through an invite code (409 if already a participant)."""
    world.phone(number)
    found = by_invite(world, code)
    if number in found.members:
        raise SimulatorError(409, f"{number} is already a participant of group {found.id}")
    if len(found.members) >= MAX_MEMBERS:
        raise SimulatorError(409, "the group is full")
    found.members.append(number)
    world.changed()
    _notify(world, found, "join", number, [number])
    return found
