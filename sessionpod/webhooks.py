"""Webhooks from the session pod: signing, SSRF rules, backoff, URLs and delivery.

``WebhookEvents`` is what the session calls (never blocking, never raising): it
builds the seed's payload drafts and writes them to the durable ``Outbox``.
``Dispatcher`` is a background task that gives drafts their URL (from the CR's
``spec.webhooks``, cached ``URL_CACHE_SECONDS``) and final body, then delivers
each URL's rows in order with one worker per URL: a failing head is retried
with exponential backoff and jitter and blocks that URL's later rows; a row
older than ``max_age`` is dropped and counted.

Each POST carries ``X-Mywhatsapp-Signature: sha256=<hex HMAC-SHA256(body, key)>``,
``X-Mywhatsapp-Event``, ``X-Mywhatsapp-Delivery`` (stable across retries) and
``X-Mywhatsapp-Timestamp`` (epoch seconds of the attempt). Only ``http``/``https``
URLs are used; the host is resolved and refused when any address is loopback,
private, link-local, multicast, reserved or unspecified (unless
``WEBHOOK_ALLOW_PRIVATE``); the connection then goes to the checked address (no
second DNS lookup to rebind), with the original Host header and TLS name.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from mywhatsapp.common import crd
from mywhatsapp.sessionpod import events as ev
from mywhatsapp.sessionpod import webhook_payloads as wp
from mywhatsapp.sessionpod.status import SessionStatus
from mywhatsapp.sessionpod.webhook_outbox import Outbox, Row

log = logging.getLogger(__name__)

SIGNATURE_HEADER: Final = "X-Mywhatsapp-Signature"
EVENT_HEADER: Final = "X-Mywhatsapp-Event"
DELIVERY_HEADER: Final = "X-Mywhatsapp-Delivery"
TIMESTAMP_HEADER: Final = "X-Mywhatsapp-Timestamp"

REQUEST_TIMEOUT: Final = 10.0
BACKOFF_START: Final = 1.0
BACKOFF_MAX: Final = 300.0
MAX_AGE: Final = 24 * 3600.0
URL_CACHE_SECONDS: Final = 10.0
#: States whose arrival fires ``wh_connect`` (the seed: open, close, logout, pairing code).
CONNECT_STATES: Final = frozenset({"CONNECTED", "CLOSE", "DISCONNECTED", "GETCODE"})


# --- signature ---------------------------------------------------------------
def signature(key: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def verify(key: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(signature(key, body), header.strip())


def headers_for(key: str, body: bytes, *, event: str, delivery: str, now: float) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "mywhatsapp-sessionpod",
        SIGNATURE_HEADER: signature(key, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery,
        TIMESTAMP_HEADER: str(int(now)),
    }


# --- backoff -----------------------------------------------------------------
def backoff(attempts: int, *, start: float = BACKOFF_START, cap: float = BACKOFF_MAX,
            rand: Callable[[float, float], float] = random.uniform) -> float:
    """Delay after the ``attempts``-th failure: ``start·2^(n-1)`` capped, times a jitter in [0.5, 1]."""
    base = min(cap, start * (2 ** max(0, min(attempts - 1, 62))))
    return base * rand(0.5, 1.0)


# --- SSRF --------------------------------------------------------------------
class UrlRefused(ValueError):
    """A webhook URL the pod will not call."""


def address_allowed(address: str) -> bool:
    """True for a public (global unicast) address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def check_url(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of an acceptable URL shape; ``UrlRefused`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UrlRefused(f"only http and https webhooks are allowed, not {parts.scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise UrlRefused("the webhook URL has no host")
    if parts.username or parts.password:
        raise UrlRefused("credentials in webhook URLs are not allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UrlRefused(f"bad port: {error}") from error
    return parts.scheme, parts.hostname, port


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def pinned_target(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> tuple[str, str]:
    """``(url to connect to, original host)``: the URL with its host replaced by a checked address."""
    scheme, host, port = check_url(url)
    try:
        addresses = await resolver(host, port)
    except OSError as error:
        raise ConnectionError(f"cannot resolve {host}: {error}") from error
    if not addresses:
        raise ConnectionError(f"{host} has no address")
    if not allow_private:
        refused = [a for a in addresses if not address_allowed(a)]
        if refused:
            raise UrlRefused(f"{host} resolves to a non-public address ({refused[0]}); "
                             "set WEBHOOK_ALLOW_PRIVATE=1 to allow it")
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    parts = urlsplit(url)
    netloc = f"{literal}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, "")), parts.netloc


# --- URLs from the CR --------------------------------------------------------
class SessionReader(Protocol):
    """Reads the pod's own WhatsAppSession (raises on failure)."""

    async def get_session(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Targets:
    """What the CR says: the seed's SessionName and a URL per event kind."""

    session_name: str
    urls: Mapping[str, str]


def targets_of(cr: Mapping[str, Any], *, cr_name: str) -> Targets:
    """SessionName (annotation, ``spec.sessionName``, else the CR name) and ``spec.webhooks`` URLs."""
    metadata = cr.get("metadata") or {}
    spec = cr.get("spec") or {}
    annotations = metadata.get("annotations") or {}
    name = annotations.get(crd.ANNOTATION_SESSION_NAME) or spec.get("sessionName") or metadata.get("name") or cr_name
    hooks = spec.get("webhooks") or {}
    urls = {kind: hooks[kind] for kind in wp.KINDS if isinstance(hooks.get(kind), str) and hooks[kind]}
    return Targets(str(name), urls)


class TargetCache:
    """``Targets`` re-read from the CR at most every ``ttl`` seconds; the last good read is kept."""

    def __init__(self, reader: SessionReader, *, cr_name: str, ttl: float = URL_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._reader = reader
        self._cr_name = cr_name
        self._ttl = ttl
        self._clock = clock
        self._value: Targets | None = None
        self._read_at: float | None = None
        self.reads = 0

    @property
    def known(self) -> bool:
        """True once the CR was read successfully."""
        return self._value is not None

    @property
    def stale(self) -> bool:
        return self._read_at is None or self._clock() - self._read_at >= self._ttl

    async def get(self) -> Targets | None:
        """Fresh-enough targets; None only if the CR was never read."""
        if self.stale:
            self._read_at = self._clock()
            self.reads += 1
            try:
                self._value = targets_of(await self._reader.get_session(), cr_name=self._cr_name)
            except Exception as error:  # noqa: BLE001 - keep the last good value, retry after ttl
                log.warning("could not read the WhatsAppSession for its webhooks: %s", error)
        return self._value


# --- delivery ----------------------------------------------------------------
class Dispatcher:
    """Background delivery of the outbox (one worker task per URL)."""

    def __init__(self, outbox: Outbox, targets: TargetCache, *, signing_key: str, allow_private: bool,
                 backoff_start: float = BACKOFF_START, backoff_max: float = BACKOFF_MAX,
                 max_age: float = MAX_AGE, timeout: float = REQUEST_TIMEOUT,
                 resolver: Resolver = resolve, clock: Callable[[], float] = time.time,
                 client: httpx.AsyncClient | None = None) -> None:
        self.outbox = outbox
        self._targets = targets
        self._key = signing_key
        self._allow_private = allow_private
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._max_age = max_age
        self._resolver = resolver
        self._clock = clock
        self._client = client or httpx.AsyncClient(timeout=timeout, verify=True, trust_env=False,
                                                   follow_redirects=False)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._workers: dict[str, asyncio.Task[None]] = {}
        self.delivered = 0
        if not signing_key:
            log.warning("WEBHOOK_SIGNING_KEY is empty: webhook signatures prove nothing")

    def start(self) -> None:
        if self._task is None:
            self._wake.set()  # rows left by an earlier process
            self._task = asyncio.get_running_loop().create_task(self._run(), name="webhook-dispatcher")

    def wake(self) -> None:
        self._wake.set()

    async def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the outbox to empty (shutdown); True if it did.

        Returns at once while the CR's webhooks were never read: nothing can be sent.
        """
        deadline = time.monotonic() + timeout
        while self.outbox.pending() and self._targets.known and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.outbox.pending() == 0

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._workers.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._workers.clear()
        await self._client.aclose()

    async def _run(self) -> None:
        await self._targets.get()  # the CR's webhooks at start
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._assign()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the dispatcher die; rows stay for the next wake
                log.exception("webhook dispatcher failed")
                await asyncio.sleep(1.0)
                self._wake.set()
                continue
            for url in self.outbox.urls():
                worker = self._workers.get(url)
                if worker is None or worker.done():
                    self._workers[url] = asyncio.get_running_loop().create_task(
                        self._deliver_all(url), name=f"webhook {url}")

    async def _assign(self) -> None:
        drafts = self.outbox.drafts()
        if not drafts:
            return
        targets = await self._targets.get()
        if targets is None:  # CR never read: try again after the cache's ttl
            asyncio.get_running_loop().call_later(URL_CACHE_SECONDS, self._wake.set)
            return
        for row in drafts:
            url = targets.urls.get(row.kind)
            if not url:
                self.outbox.delete(row.seq)  # no URL for this kind: the event is not wanted
                continue
            payload = await asyncio.to_thread(wp.finalize, json.loads(row.body), targets.session_name)
            self.outbox.assign(row.seq, url, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))

    async def _deliver_all(self, url: str) -> None:
        """Deliver ``url``'s rows in order until none is left (the head blocks the rest)."""
        while (row := self.outbox.head(url)) is not None:
            now = self._clock()
            if now - row.created_at > self._max_age:
                log.warning("webhook %s to %s dropped after %d attempts (older than %.0fs)",
                            row.id, url, row.attempts, self._max_age)
                self.outbox.drop(row.seq, "expired")
                continue
            if row.next_at > now:
                await asyncio.sleep(min(row.next_at - now, self._max_age))
                continue
            await self._attempt(url, row)

    async def _attempt(self, url: str, row: Row) -> None:
        body = row.body.encode()
        now = self._clock()
        try:
            target, host = await pinned_target(url, allow_private=self._allow_private, resolver=self._resolver)
        except UrlRefused as error:
            log.error("webhook %s to %s refused: %s", row.id, url, error)
            self.outbox.drop(row.seq, "refused")
            return
        except ConnectionError as error:
            self._failed(row, url, str(error))
            return
        extensions = {"sni_hostname": urlsplit(url).hostname} if target.startswith("https:") else {}
        try:
            answer = await self._client.post(
                target, content=body,
                headers={"Host": host, **headers_for(self._key, body, event=row.event, delivery=row.id, now=now)},
                extensions=extensions,
            )
        except httpx.HTTPError as error:
            self._failed(row, url, f"{type(error).__name__}: {error}")
            return
        if 200 <= answer.status_code < 300:
            self.outbox.delete(row.seq)
            self.delivered += 1
            log.info("webhook %s %s delivered to %s", row.event, row.id, url)
        else:
            self._failed(row, url, f"HTTP {answer.status_code}")

    def _failed(self, row: Row, url: str, error: str) -> None:
        delay = backoff(row.attempts + 1, start=self._backoff_start, cap=self._backoff_max)
        self.outbox.failed(row.seq, next_at=self._clock() + delay, error=error)
        log.warning("webhook %s %s to %s failed (%s); retry %d in %.1fs",
                    row.event, row.id, url, error, row.attempts + 1, delay)


# --- what the session calls ---------------------------------------------------
class WebhookEvents:
    """Turns session happenings into outbox rows; never blocks, never raises."""

    def __init__(self, outbox: Outbox, dispatcher: Dispatcher | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._outbox = outbox
        self._dispatcher = dispatcher
        self._clock = clock
        self._phone: str | None = None
        self._last_state: str | None = None

    def _put(self, kind: str, draft: dict[str, Any]) -> None:
        event = str(draft.get("wook", kind))
        try:
            self._outbox.enqueue(kind, event, draft, now=self._clock())
        except Exception:  # a broken volume must not break the WhatsApp side
            log.exception("could not queue the %s webhook", event)
            return
        if self._dispatcher is not None:
            self._dispatcher.wake()

    def status(self, status: SessionStatus, *, force_connect: bool = False) -> None:
        """A reported status: QR codes → wh_qrcode; connect/close/logout/pairing → wh_connect."""
        state, code = str(status.state), str(status.status)
        if status.phone:
            self._phone = status.phone
        if status.qr is not None:
            self._put(wp.KIND_QRCODE, wp.wh_qrcode("", status.qr.code, data_url=None, message=status.message))
        elif force_connect or (state in CONNECT_STATES and state != self._last_state):
            self._put(wp.KIND_CONNECT, wp.wh_connect("", state=state, status=code,
                                                     number=status.phone or self._phone, message=status.message))
        self._last_state = state

    def chat_event(self, event: ev.IncomingMessage | ev.Receipt | ev.IncomingCall) -> None:
        if isinstance(event, ev.IncomingMessage):
            if event.chat == "status@broadcast":
                return
            self._put(wp.KIND_MESSAGE, wp.incoming_message("", event, own_phone=self._phone))
        elif isinstance(event, ev.Receipt):
            for payload in wp.wh_status("", event, own_phone=self._phone):
                self._put(wp.KIND_STATUS, payload)
        elif isinstance(event, ev.IncomingCall):
            self._put(wp.KIND_INCOMING_CALL, wp.wh_incomingcall("", event))

    def sent(self, *, message_id: str, kind: str, content: Mapping[str, Any], to: str, timestamp: float) -> None:
        """A message sent through the internal API (wh_message SEND_MESSAGE)."""
        self._put(wp.KIND_MESSAGE, wp.wh_message(
            "", message_id=message_id, kind=kind, content=content, from_me=True, chat=to, sender=self._phone or "",
            own_phone=self._phone, is_group=to.endswith("@g.us"), timestamp=timestamp))
