"""The simulated WhatsApp's state and linking: devices, connections, QR codes, phones.

All state lives in one ``World`` object used from a single asyncio loop, so no
locking is needed. Devices are the session pods (linked devices); phones are
the primary phones that scan QR codes and unlink devices. Messages, receipts
and calls are in ``mywhatsapp.simulator.delivery``. Everything that must
survive a restart of the simulator is plain JSON (``snapshot`` /
``World.restore``).
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from mywhatsapp.simulator.connection import Connection
from mywhatsapp.simulator.model import Device, Group, Phone, QrRecord, SimulatorError, valid_number
from mywhatsapp.simulator.qr import (
    DeviceKeys,
    QrSchedule,
    new_device_keys,
    new_ref,
    pairing_code,
    parse_qr_code,
    qr_code,
)

#: How long an expired QR code is remembered (to answer 409 rather than 404).
QR_MEMORY_SECONDS = 600.0


class World:
    """The whole simulated network."""

    def __init__(
        self,
        schedule: QrSchedule,
        *,
        on_change: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.schedule = schedule
        self.devices: dict[str, Device] = {}
        self.phones: dict[str, Phone] = {}
        self.connections: dict[str, Connection] = {}
        self.qr_codes: dict[str, QrRecord] = {}
        self.pair_codes: dict[str, tuple[str, str]] = {}  # code -> (device id, phone)
        #: Groups by bare id (``<id>@g.us`` is the JID); operations in ``groups.py``.
        self.groups: dict[str, Group] = {}
        #: Called after every change of durable state (the app saves the state file).
        self.on_change: Callable[[], None] = on_change or (lambda: None)
        self._clock = clock

    def now(self) -> float:
        """The simulator's clock (epoch seconds)."""
        return self._clock()

    # --- persistence --------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """JSON-able durable state (devices, phones, groups, undelivered events)."""
        return {
            "devices": [asdict(device) for device in self.devices.values()],
            "phones": [asdict(phone) for phone in self.phones.values()],
            "groups": [asdict(group) for group in self.groups.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load what ``snapshot`` returned."""
        for raw in data.get("devices", []):
            raw = dict(raw)
            raw["keys"] = DeviceKeys(**raw["keys"])
            device = Device(**raw)
            self.devices[device.id] = device
        for raw in data.get("phones", []):
            phone = Phone(**raw)
            self.phones[phone.number] = phone
        for raw in data.get("groups", []):
            group = Group(**raw)
            self.groups[group.id] = group

    def changed(self) -> None:
        """Tell the store that durable state changed."""
        self.on_change()

    # --- devices ------------------------------------------------------------
    def register_device(self, name: str) -> Device:
        """A new, unlinked device with fresh keys and a secret."""
        device = Device(
            id=secrets.token_hex(8),
            secret=secrets.token_urlsafe(32),
            name=name or "Simulated device",
            keys=new_device_keys(),
        )
        self.devices[device.id] = device
        self.changed()
        return device

    def authenticate(self, device_id: str, secret: str) -> Device:
        """The device if ``secret`` is its secret; 401 otherwise (also for unknown ids)."""
        device = self.devices.get(device_id)
        expected = device.secret if device else secrets.token_urlsafe(32)
        if not hmac.compare_digest(expected.encode(), secret.encode()) or device is None:
            raise SimulatorError(401, "unknown device or wrong device secret")
        return device

    def active_connection(self, device: Device) -> Connection | None:
        """The device's open connection, if any."""
        for connection in self.connections.values():
            if connection.device_id == device.id and not connection.closed:
                return connection
        return None

    def connect(self, device: Device) -> Connection:
        """Open a connection, replacing an older one of the same device."""
        old = self.active_connection(device)
        if old is not None:
            old.push({"type": "stream_replaced"})
            self._close(old)
        connection = Connection(device.id)
        self.connections[connection.id] = connection
        self._prune_connections()
        if device.revoked:
            connection.push({"type": "logged_out", "onConnect": True, "reason": "device was unlinked"})
            self._close(connection)
        elif device.phone is not None:
            phone = self.phones[device.phone]
            if phone.banned_until > self._clock():
                connection.push({"type": "temp_ban", "expiresAt": phone.banned_until})
                self._close(connection)
            else:
                connection.push(self._connected_event(device))
                self._flush_pending(device, connection)
        else:
            connection.qr_task = asyncio.get_running_loop().create_task(
                self._rotate_qr(device, connection)
            )
        return connection

    def disconnect(self, device: Device, connection_id: str) -> None:
        """Close one of the device's connections (the device goes offline)."""
        connection = self.connections.get(connection_id)
        if connection is None or connection.device_id != device.id:
            raise SimulatorError(404, "no such connection for this device")
        self._close(connection)

    def connection_of(self, device: Device, connection_id: str) -> Connection:
        """The device's connection ``connection_id`` (404 otherwise)."""
        connection = self.connections.get(connection_id)
        if connection is None or connection.device_id != device.id:
            raise SimulatorError(404, "no such connection for this device")
        return connection

    def _close(self, connection: Connection) -> None:
        connection.close()
        for record in self.qr_codes.values():
            if record.connection_id == connection.id:
                record.superseded = True

    def _prune_connections(self) -> None:
        for key in [key for key, conn in self.connections.items() if conn.closed]:
            if len(self.connections) <= 1000:
                break
            del self.connections[key]

    def _connected_event(self, device: Device) -> dict[str, Any]:
        phone = self.phones[device.phone] if device.phone else None
        return {
            "type": "connected",
            "phone": device.phone,
            "pushName": phone.push_name if phone else "",
            "deviceId": device.id,
        }

    def _flush_pending(self, device: Device, connection: Connection) -> None:
        for event in device.pending:
            connection.push(event)
        if device.pending:
            device.pending = []
            self.changed()

    async def _rotate_qr(self, device: Device, connection: Connection) -> None:
        for attempt in range(1, self.schedule.max_refs + 1):
            ttl = self.schedule.ttl(attempt)
            code = qr_code(new_ref(), device.keys)
            expires_at = self._clock() + ttl
            self._forget_old_qr_codes()
            for record in self.qr_codes.values():
                if record.connection_id == connection.id:
                    record.superseded = True
            self.qr_codes[code] = QrRecord(device.id, connection.id, expires_at)
            connection.push({"type": "qr", "code": code, "ttl": ttl, "expiresAt": expires_at})
            await asyncio.sleep(ttl)
        connection.push({"type": "qr_timeout"})
        self._close(connection)

    def _forget_old_qr_codes(self) -> None:
        horizon = self._clock() - QR_MEMORY_SECONDS
        for code in [code for code, rec in self.qr_codes.items() if rec.expires_at < horizon]:
            del self.qr_codes[code]

    def request_pairing_code(self, device: Device, number: str) -> str:
        """A pairing code the phone ``number`` can type to link ``device``."""
        valid_number(number)
        connection = self.active_connection(device)
        if device.phone is not None or connection is None or device.revoked:
            raise SimulatorError(409, "only a connected device waiting to be linked can pair")
        code = pairing_code()
        self.pair_codes[code] = (device.id, number)
        connection.push({"type": "pair_code", "code": code, "phone": number})
        return code

    def logout(self, device: Device) -> None:
        """The device unlinks itself (its credentials stop working)."""
        self._unlink(device, reason="logged out by the device")

    def _unlink(self, device: Device, *, reason: str) -> None:
        device.revoked = True
        device.pending = []
        connection = self.active_connection(device)
        if connection is not None:
            connection.push({"type": "logged_out", "onConnect": False, "reason": reason})
            self._close(connection)
        self.changed()

    # --- phones -------------------------------------------------------------
    def phone(self, number: str, *, create: bool = False, push_name: str | None = None) -> Phone:
        """The phone ``number`` (created on demand when ``create``), else 404."""
        valid_number(number)
        phone = self.phones.get(number)
        if phone is None:
            if not create:
                raise SimulatorError(404, f"phone {number} is not on the simulated WhatsApp")
            phone = Phone(number=number, push_name=push_name or f"Phone {number}")
            self.phones[number] = phone
            self.changed()
        elif push_name:
            phone.push_name = push_name
            self.changed()
        return phone

    def linked_devices(self, number: str) -> list[Device]:
        """Devices currently linked to the phone ``number``."""
        return [d for d in self.devices.values() if d.phone == number and not d.revoked]

    def scan(self, number: str, code: str, *, push_name: str | None = None) -> Device:
        """The phone ``number`` scans ``code``: link the device that showed it."""
        valid_number(number)
        try:
            parse_qr_code(code)
        except ValueError as error:
            raise SimulatorError(400, f"not a WhatsApp QR code: {error}") from error
        record = self.qr_codes.get(code)
        if record is None:
            raise SimulatorError(404, "no session is showing this QR code")
        device = self.devices.get(record.device_id)
        connection = self.connections.get(record.connection_id)
        if device is None or device.phone is not None or device.revoked:
            raise SimulatorError(409, "the device that showed this QR code is already linked")
        if record.superseded or record.expires_at <= self._clock():
            raise SimulatorError(409, "this QR code has expired; scan the current one")
        if connection is None or connection.closed:
            raise SimulatorError(409, "the session that showed this QR code is no longer connected")
        self._link(device, connection, self.phone(number, create=True, push_name=push_name))
        return device

    def pair(self, number: str, code: str) -> Device:
        """The phone ``number`` types a pairing ``code``."""
        entry = self.pair_codes.get(code.upper())
        if entry is None:
            raise SimulatorError(404, "no session asked for this pairing code")
        device_id, wanted = entry
        if wanted != number:
            raise SimulatorError(409, f"this pairing code is for phone {wanted}, not {number}")
        device = self.devices[device_id]
        connection = self.active_connection(device)
        if device.phone is not None or connection is None or device.revoked:
            raise SimulatorError(409, "the session that asked for this code is no longer waiting")
        del self.pair_codes[code.upper()]
        self._link(device, connection, self.phone(number, create=True))
        return device

    def _link(self, device: Device, connection: Connection, phone: Phone) -> None:
        device.phone = phone.number
        device.linked_at = self._clock()
        if connection.qr_task is not None:
            connection.qr_task.cancel()
        for record in self.qr_codes.values():
            if record.device_id == device.id:
                record.superseded = True
        connection.push({"type": "paired", "phone": phone.number, "pushName": phone.push_name})
        connection.push(self._connected_event(device))
        self.changed()

    def unlink(self, number: str, device_id: str) -> Device:
        """The phone removes one of its linked devices."""
        device = self.devices.get(device_id)
        if device is None or device.phone != number or device.revoked:
            raise SimulatorError(404, f"device {device_id} is not linked to phone {number}")
        self._unlink(device, reason="device removed from the phone")
        return device

    def ban(self, number: str, seconds: float) -> float:
        """Temporarily ban the account ``number``; its devices are disconnected."""
        phone = self.phone(number)
        phone.banned_until = self._clock() + seconds
        for device in self.linked_devices(number):
            connection = self.active_connection(device)
            if connection is not None:
                connection.push({"type": "temp_ban", "expiresAt": phone.banned_until})
                self._close(connection)
        self.changed()
        return phone.banned_until
