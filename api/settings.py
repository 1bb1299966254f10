"""Settings of the API facade, read from the environment (the seed's names).

A seed ``.env`` carries over: ``SECRET_KEY``, ``VALIDATE_MYSQL``,
``MYSQL_HOST``/``PORT``/``USER``/``PASSWORD``/``DATABASE``/``TIMEZONE``,
``CONCURRENCY``, ``IPV4`` and ``PORT`` keep their meaning. Ours:
``SESSIONS_NAMESPACE``, ``DEFAULT_BACKEND``, ``ENVIRONMENT``,
``TOKEN_CACHE_SECONDS`` and ``MYSQL_UNIX_SOCKET``.

``Settings`` is created by the entry point (``mywhatsapp.api.main``) or a
test and handed to ``create_app``; routes get it through the ``get_settings``
dependency. Nothing here runs at import time.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from typing import Final, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["neonize", "simulated"]

#: Keys that are public (the seed's ``.env-example``, its docs, obvious
#: placeholders): refused outside development.
WELL_KNOWN_SECRET_KEYS: Final = frozenset(
    {
        "kgashjgajbug$$jgbbjgkbkgk",
        "SECRET_KEY_OR_TOKEN",
        "SECRET_KEY",
        "secret",
        "changeme",
        "change-me",
        "TOKENTESTE123",
    }
)
MIN_SECRET_KEY_LENGTH: Final = 16

_TIMEZONE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


class Settings(BaseSettings):
    """Everything the facade reads from its environment."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    secret_key: SecretStr = SecretStr("")
    validate_mysql: bool = False
    mysql_host: str = "localhost"
    mysql_port: int = Field(default=3306, ge=1, le=65535)
    mysql_user: str = ""
    mysql_password: SecretStr = SecretStr("")
    mysql_database: str = "mywhatsapp-api"
    mysql_timezone: str = "-00:00"
    mysql_unix_socket: str | None = None
    concurrency: int = Field(default=5, ge=1, le=1000)
    ipv4: str = "127.0.0.1"
    port: int = Field(default=9009, ge=1, le=65535)

    sessions_namespace: str = "default"
    default_backend: Backend | None = None
    environment: Literal["development", "production"] = "production"
    token_cache_seconds: float = Field(default=2.0, ge=0.0, le=5.0)

    @field_validator("mysql_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        if not _TIMEZONE.match(value.strip()):
            raise ValueError("MYSQL_TIMEZONE must look like '-04:00' or '+01:00'")
        return value.strip()

    @field_validator("secret_key", mode="before")
    @classmethod
    def _strip_secret_key(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_insecure_defaults(self) -> Settings:
        if self.environment == "development":
            return self
        key = self.secret_key.get_secret_value()
        if not key:
            raise ValueError(
                "SECRET_KEY is empty: set a random key (e.g. `openssl rand -base64 45`) "
                "or ENVIRONMENT=development for local experiments"
            )
        if key in WELL_KNOWN_SECRET_KEYS:
            raise ValueError(
                "SECRET_KEY is a published example value; generate a new random key "
                "(e.g. `openssl rand -base64 45`)"
            )
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(f"SECRET_KEY must have at least {MIN_SECRET_KEY_LENGTH} characters")
        if self.validate_mysql and not self.mysql_user:
            raise ValueError("VALIDATE_MYSQL=1 needs MYSQL_USER (and MYSQL_PASSWORD, MYSQL_DATABASE)")
        return self

    def mysql_tz(self) -> timezone:
        """``MYSQL_TIMEZONE`` as a fixed-offset timezone (the day a token expires in)."""
        match = _TIMEZONE.match(self.mysql_timezone)
        if match is None:  # pragma: no cover - the validator guarantees the shape
            raise ValueError(self.mysql_timezone)
        sign = -1 if match.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
