"""The interface every WhatsApp backend implements, and its errors.

A backend owns one connection and the login state on the pod's volume. It
reports what happens through the ``emit`` callback given to ``start`` (called
on the event loop), and answers the session's requests. Implementations:
``mywhatsapp.sessionpod.simulated`` and ``mywhatsapp.sessionpod.neonize_backend``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mywhatsapp.sessionpod.events import Event
from mywhatsapp.sessionpod.messages import OutgoingMessage

EventSink = Callable[[Event], None]


class BackendError(RuntimeError):
    """A request the backend could not carry out; ``status`` suggests an HTTP code."""

    def __init__(self, message: str, *, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SentMessage:
    """What the network said about a sent message."""

    id: str
    timestamp: float
    to: str


@dataclass(frozen=True)
class NumberInfo:
    """Whether a phone number has WhatsApp, and its JID when it has."""

    phone: str
    exists: bool
    jid: str | None = None


@dataclass(frozen=True)
class GroupMember:
    """A group participant: ``user`` is the phone number (the JID's user part)."""

    user: str
    admin: bool = False
    super_admin: bool = False


@dataclass(frozen=True)
class GroupInfo:
    """A group as WhatsApp describes it; ``id`` is bare (the JID is ``<id>@g.us``)."""

    id: str
    subject: str
    description: str = ""
    owner: str = ""
    created: float = 0.0
    participants: tuple[GroupMember, ...] = ()

    @property
    def jid(self) -> str:
        return f"{self.id}@g.us"


@dataclass(frozen=True)
class ParticipantsChange:
    """Which participants an add/remove/promote/demote (or a creation) worked for."""

    valid: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()


@dataclass(frozen=True)
class InviteLink:
    code: str
    url: str


#: What ``Backend.update_participants`` can do.
PARTICIPANT_ACTIONS = ("add", "remove", "promote", "demote")


class Backend(Protocol):
    """One WhatsApp connection."""

    #: False when the backend cannot be started again in the same process
    #: (neonize): a restart then exits and lets Kubernetes start a new process.
    restarts_in_process: bool

    async def start(self, emit: EventSink) -> None:
        """Begin connecting with the stored login (or a new one: QR codes follow)."""

    async def stop(self) -> None:
        """Disconnect, keeping the login state."""

    async def logout(self) -> None:
        """Unlink the device from the account, then wipe the login state."""

    def wipe(self) -> None:
        """Delete the login state from the volume (no network)."""

    async def pair_phone(self, phone: str) -> str:
        """Ask for a pairing code for ``phone`` (only while waiting for a login)."""

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Send ``message``; ``BackendError`` if it was not accepted."""

    async def mark_read(self, chat: str, ids: Sequence[str]) -> None:
        """Mark messages of ``chat`` as read (sends read receipts)."""

    async def check_numbers(self, phones: Sequence[str]) -> list[NumberInfo]:
        """Which of ``phones`` are on WhatsApp."""

    # --- groups (``group`` is a bare group id; participants are phone numbers) ---
    async def create_group(self, subject: str, participants: Sequence[str]) -> tuple[GroupInfo, ParticipantsChange]:
        """Create a group with this account as its owner; which participants were added."""

    async def group_info(self, group: str) -> GroupInfo:
        """The group's subject, description and participants (404 unknown, 403 not a member)."""

    async def group_exists(self, group: str) -> bool:
        """Whether the group exists (and this account can see it)."""

    async def joined_groups(self) -> list[GroupInfo]:
        """Every group this account is in."""

    async def leave_group(self, group: str) -> None:
        """Leave the group."""

    async def set_group_subject(self, group: str, subject: str) -> None:
        """Rename the group (admins only)."""

    async def set_group_description(self, group: str, description: str) -> None:
        """Set the group's description (admins only; empty removes it)."""

    async def update_participants(self, group: str, action: str, participants: Sequence[str]) -> ParticipantsChange:
        """``action`` (one of ``PARTICIPANT_ACTIONS``) for ``participants`` (admins only)."""

    async def group_invite_link(self, group: str, *, revoke: bool = False) -> InviteLink:
        """The group's invite link; ``revoke`` voids the current one and makes a new one."""

    async def join_group(self, code: str) -> str:
        """Join through an invite code (or link); the group's bare id."""

    async def group_info_from_invite(self, code: str) -> GroupInfo:
        """The group an invite code (or link) leads to, without joining."""

    # --- profile and contacts ------------------------------------------------
    async def set_push_name(self, name: str) -> None:
        """Change this account's push name (the name contacts see)."""

    async def set_status_text(self, text: str) -> None:
        """Change this account's "about" text."""

    async def contact_status(self, phone: str) -> str | None:
        """A contact's "about" text (``None`` if hidden or unset)."""

    async def profile_picture_url(self, phone: str) -> str | None:
        """The URL of a contact's profile picture (``None`` if there is none or it is hidden)."""


async def group_exists_by_info(backend: Backend, group: str) -> bool:
    """`Backend.group_exists` in terms of `group_info`: 403 and 404 mean no."""
    try:
        await backend.group_info(group)
    except BackendError as error:
        if error.status in (403, 404):
            return False
        raise
    return True

