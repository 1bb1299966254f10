"""Token rules, pure: who a token is, and whether a ``tokens`` row lets it in.

* The admin key (``SECRET_KEY``) is compared in constant time.
* A ``tokens`` row is valid when ``active`` means yes and today (in
  ``MYSQL_TIMEZONE``) is not after ``datafinal``. The seed read ``active``
  (CHAR(5)) with JavaScript's ``Boolean()``, so ``'false'`` and ``'0'``
  counted as active, and froze "today" at start-up; here ``active`` must be
  one of ``ACTIVE_VALUES`` and the date is taken on every check.
* A token is only ever kept as ``owner_id`` = SHA-256 hex of the token: that is
  what marks the sessions it owns, what the cache is keyed by and what may be
  logged.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from mywhatsapp.api import messages
from mywhatsapp.api.envelope import SeedError

#: ``tokens.active`` values that mean "enabled" (case and blanks ignored).
#: The seed's sample row uses ``'1'`` and the column default is ``'true'``.
ACTIVE_VALUES: Final = frozenset({"1", "true", "yes", "y", "on", "sim", "s"})


def owner_id(token: str) -> str:
    """SHA-256 hex of ``token``: the only form in which a token is stored or logged."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_admin_key(token: str, secret_key: str) -> bool:
    """Constant-time check of ``token`` against ``SECRET_KEY`` (an empty key matches nothing)."""
    if not secret_key:
        return False
    return hmac.compare_digest(token.encode("utf-8"), secret_key.encode("utf-8"))


def is_active(value: object) -> bool:
    """Whether a ``tokens.active`` value enables the token (unknown values: no)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return False
    return value.strip().lower() in ACTIVE_VALUES


def as_date(value: object) -> date | None:
    """``tokens.datafinal`` as a date (DATE, DATETIME or 'YYYY-MM-DD' text), else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (str, bytes)):
        text = value.decode() if isinstance(value, bytes) else value
        try:
            return date.fromisoformat(text.strip()[:10])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class TokenRow:
    """The columns of a ``tokens`` row that decide access."""

    authorizationtoken: str
    active: object
    datafinal: object


def check_row(token: str, row: TokenRow | None, *, today: date) -> None:
    """Raise the seed's ``SeedError`` unless ``row`` lets ``token`` in today.

    The lookup column is case-insensitive in the seed's schema (utf8 general
    collation), so the row's token must also equal ``token`` exactly.
    """
    if row is None or not hmac.compare_digest(
        row.authorizationtoken.encode("utf-8"), token.encode("utf-8")
    ):
        raise SeedError(404, messages.TOKEN_NOT_FOUND)
    if not is_active(row.active):
        raise SeedError(401, messages.TOKEN_INACTIVE)
    last_day = as_date(row.datafinal)
    if last_day is None or today > last_day:
        raise SeedError(408, messages.TOKEN_EXPIRED)


def missing_token_error(*, validate_mysql: bool) -> SeedError:
    """The seed's answer to a request without ``AuthorizationToken`` (422 in the MySQL era)."""
    return SeedError(422 if validate_mysql else 401, messages.TOKEN_MISSING)


def clean_header(value: str | None) -> str:
    """The header as the seed read it: every whitespace character removed."""
    return "".join((value or "").split())
