"""Who is calling: the admin key, or a MySQL token checked on every request.

``Authenticator.authenticate`` returns a ``Caller`` or raises the seed's
``SeedError``. DB answers are cached for ``TOKEN_CACHE_SECONDS`` (≤ 5 s),
keyed by the token's SHA-256, so a deactivated or expired token stops working
within seconds; database errors are never cached and fail closed (the seed's
400), while the admin key keeps working without the database. Tokens are
never logged: log lines carry at most the first characters of the hash.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import pymysql

from mywhatsapp.api import messages
from mywhatsapp.api.envelope import SeedError
from mywhatsapp.api.settings import Settings
from mywhatsapp.api.tokens import (
    TokenRow,
    check_row,
    clean_header,
    is_admin_key,
    missing_token_error,
    owner_id,
)

log = logging.getLogger(__name__)

HEADER = "AuthorizationToken"
MAX_CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the admin sees every session; others only their own."""

    owner: str  # SHA-256 hex of the token
    admin: bool

    def may_see(self, session_owner: str | None) -> bool:
        return self.admin or (session_owner is not None and session_owner == self.owner)


Lookup = Callable[[Settings, str], TokenRow | None]


class Authenticator:
    """Checks ``AuthorizationToken`` values for one app."""

    def __init__(self, settings: Settings, lookup: Lookup | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._lookup = lookup
        self._clock = clock
        self._cache: dict[str, tuple[float, SeedError | None]] = {}
        self._lock = threading.Lock()

    def today(self) -> date:
        return datetime.now(self._settings.mysql_tz()).date()

    def authenticate(self, header: str | None) -> Caller:
        """The caller for a header value, or raise the seed's error reply."""
        token = clean_header(header)
        if not token:
            raise missing_token_error(validate_mysql=self._settings.validate_mysql)
        if is_admin_key(token, self._settings.secret_key.get_secret_value()):
            return Caller(owner=owner_id(token), admin=True)
        if not self._settings.validate_mysql or self._lookup is None:
            raise SeedError(403, messages.TOKEN_INVALID)
        owner = owner_id(token)
        refusal = self._cached(owner)
        if refusal is _MISS:
            refusal = self._check_database(token, owner)
        if refusal is not None:
            raise refusal
        return Caller(owner=owner, admin=False)

    def _cached(self, owner: str) -> SeedError | None | object:
        with self._lock:
            entry = self._cache.get(owner)
            if entry is None or entry[0] <= self._clock():
                return _MISS
            return entry[1]

    def _check_database(self, token: str, owner: str) -> SeedError | None:
        lookup = self._lookup
        if lookup is None:
            return SeedError(403, messages.TOKEN_INVALID)
        try:
            row = lookup(self._settings, token)
        except (pymysql.MySQLError, OSError) as exc:
            log.warning("token check failed (token sha256 %s…): %s", owner[:8], type(exc).__name__)
            return SeedError(400, messages.TOKEN_DB_ERROR)
        refusal: SeedError | None = None
        try:
            check_row(token, row, today=self.today())
        except SeedError as error:
            refusal = error
        ttl = self._settings.token_cache_seconds
        if ttl > 0:
            with self._lock:
                if len(self._cache) >= MAX_CACHE_ENTRIES:
                    self._cache.clear()
                self._cache[owner] = (self._clock() + ttl, refusal)
        return refusal


_MISS = object()
