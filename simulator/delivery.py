"""Delivery between accounts: messages, receipts and calls, with offline queues.

A message to an account lands in the phone's inbox (the phone is always
online, so the sender gets a ``delivered`` receipt at once) and goes to every
device linked to that account; an offline device gets its events when it
next connects.
"""

from __future__ import annotations

import secrets
from typing import Any

from mywhatsapp.simulator.model import MAX_PHONE_MESSAGES, Device, SimulatorError, valid_number
from mywhatsapp.simulator.world import World


def deliver(world: World, device: Device, event: dict[str, Any]) -> None:
    """Push ``event`` to the device now, or keep it until the device connects."""
    connection = world.active_connection(device)
    if connection is not None:
        connection.push(event)
    else:
        device.pending.append(event)
        world.changed()


def to_account(world: World, number: str, event: dict[str, Any]) -> list[str]:
    """Deliver ``event`` to every device linked to ``number``; their ids."""
    delivered = []
    for device in world.linked_devices(number):
        deliver(world, device, event)
        delivered.append(device.id)
    return delivered


def send(
    world: World, sender: str, to: str, kind: str, content: dict[str, Any], *, from_device: str | None
) -> dict[str, Any]:
    """Deliver a message from the account ``sender`` to the account ``to`` (or the group ``<id>@g.us``)."""
    world.phone(sender)
    if to.strip().endswith("@g.us"):
        return send_to_group(world, sender, to.strip(), kind, content, from_device=from_device)
    recipient = world.phones.get(valid_number(to))
    if recipient is None:
        raise SimulatorError(404, f"{to} is not on the simulated WhatsApp")
    now = world.now()
    message = {
        "id": "SIM" + secrets.token_hex(8).upper(),
        "from": sender,
        "to": to,
        "kind": kind,
        "content": content,
        "timestamp": now,
        "pushName": world.phones[sender].push_name,
    }
    recipient.inbox.append({**message, "status": "delivered"})
    del recipient.inbox[:-MAX_PHONE_MESSAGES]
    delivered = to_account(world, to, {"type": "message", **message})
    receipt = {"type": "receipt", "receiptType": "delivered", "ids": [message["id"]],
               "chat": to, "timestamp": now}
    for device in world.linked_devices(sender):
        if device.id != from_device:
            deliver(world, device, {"type": "message", **message, "fromMe": True})
        deliver(world, device, receipt)
    world.changed()
    return {**message, "deliveredTo": delivered}


def send_to_group(
    world: World, sender: str, to: str, kind: str, content: dict[str, Any], *, from_device: str | None
) -> dict[str, Any]:
    """Deliver a message from ``sender`` to every other member of the group ``to`` (``<id>@g.us``).

    Members' inboxes get it, their devices get a ``message`` event with ``to``
    and ``group`` set to the group's JID; the sender's devices get a
    ``delivered`` receipt (``chat`` = the group) and, but for the sending
    device, a ``fromMe`` copy.
    """
    group = world.groups.get(to[: -len("@g.us")])
    if group is None:
        raise SimulatorError(404, f"group {to} does not exist")
    if sender not in group.members:
        raise SimulatorError(403, f"{sender} is not a participant of group {group.id}")
    now = world.now()
    message = {
        "id": "SIM" + secrets.token_hex(8).upper(),
        "from": sender,
        "to": group.jid,
        "group": group.jid,
        "kind": kind,
        "content": content,
        "timestamp": now,
        "pushName": world.phones[sender].push_name,
    }
    delivered: list[str] = []
    for number in group.members:
        if number == sender:
            continue
        member = world.phones.get(number)
        if member is not None:
            member.inbox.append({**message, "status": "delivered"})
            del member.inbox[:-MAX_PHONE_MESSAGES]
        delivered += to_account(world, number, {"type": "message", **message})
    receipt = {"type": "receipt", "receiptType": "delivered", "ids": [message["id"]],
               "chat": group.jid, "timestamp": now}
    for device in world.linked_devices(sender):
        if device.id != from_device:
            deliver(world, device, {"type": "message", **message, "fromMe": True})
        deliver(world, device, receipt)
    world.changed()
    return {**message, "deliveredTo": delivered}


def read(world: World, reader: str, ids: list[str]) -> int:
    """The account ``reader`` read messages ``ids``: read receipts go to their senders."""
    phone = world.phone(reader)
    count = 0
    for message in phone.inbox:
        if message["id"] in ids and message["status"] != "read":
            message["status"] = "read"
            count += 1
            receipt = {"type": "receipt", "receiptType": "read", "ids": [message["id"]],
                       "chat": reader, "timestamp": world.now()}
            to_account(world, message["from"], receipt)
    world.changed()
    return count


def call(world: World, caller: str, to: str, *, video: bool) -> dict[str, Any]:
    """The phone ``caller`` rings the account ``to`` (its linked devices see a call offer)."""
    world.phone(caller)
    world.phone(to)
    event = {"type": "call", "callId": secrets.token_hex(8).upper(), "from": caller,
             "isVideo": video, "timestamp": world.now()}
    return {**event, "deliveredTo": to_account(world, to, event)}


def check_numbers(world: World, numbers: list[str]) -> list[dict[str, Any]]:
    """Which of ``numbers`` are accounts on the simulated WhatsApp."""
    return [{"phone": n, "exists": n in world.phones} for n in numbers]
