"""Operator configuration from the environment (``MYWHATSAPP_*``).

The Helm chart sets these variables. ``OperatorSettings`` is created by the
operator's entry point and passed down; nothing here is instantiated at import
time. The manifest builders take the values they need from it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Backend = Literal["neonize", "simulated"]

#: Kubernetes resource.Quantity syntax (the same pattern the CRD uses).
QUANTITY_PATTERN: Final = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
_QUANTITY = re.compile(QUANTITY_PATTERN)


def default_resources() -> dict[str, dict[str, str]]:
    """Container resources when neither the CR nor the environment says otherwise.

    neonize holds ~65 MB RSS after import; the request leaves room for the
    connection and the webhook outbox, the limit for history sync bursts.
    """
    return {
        "requests": {"cpu": "50m", "memory": "128Mi"},
        "limits": {"memory": "512Mi"},
    }


class OperatorSettings(BaseSettings):
    """Settings of the operator process."""

    model_config = SettingsConfigDict(env_prefix="MYWHATSAPP_", extra="ignore", frozen=True)

    session_image: str = Field(
        default="mywhatsapp-operator:latest",
        min_length=1,
        description="Image of the session pods (the project's one image).",
    )
    default_backend: Backend = Field(
        default="neonize", description="Backend for sessions whose spec.backend is unset."
    )
    default_storage_class: str | None = Field(
        default=None,
        description="StorageClass for sessions without spec.storage.storageClassName; "
        "unset = the cluster's default class.",
    )
    default_storage_size: str = Field(
        default="1Gi", description="Volume size for sessions without spec.storage."
    )
    default_resources: dict[str, dict[str, str | int]] = Field(
        default_factory=default_resources,
        description="Container resources (JSON: {requests: {...}, limits: {...}}) for "
        "sessions without spec.resources.",
    )
    watch_namespaces: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated namespaces to watch; empty = all namespaces.",
    )
    logout_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long deletion waits for the pod to log out."
    )
    simulator_url: str | None = Field(
        default=None,
        description="URL of the WhatsApp simulator, given to sessions whose backend is 'simulated'.",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Let session pods deliver webhooks to private/loopback addresses "
        "(local clusters and tests; keep off in production: SSRF).",
    )
    metrics_port: int = Field(default=9090, ge=1, le=65535, description="Prometheus port.")
    health_port: int = Field(default=8081, ge=1, le=65535, description="Liveness port.")

    @field_validator("default_storage_class", mode="before")
    @classmethod
    def _empty_class_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("default_storage_size")
    @classmethod
    def _size_is_quantity(cls, value: str) -> str:
        if not _QUANTITY.fullmatch(value):
            raise ValueError(f"{value!r} is not a Kubernetes quantity such as 1Gi")
        return value

    @field_validator("default_resources")
    @classmethod
    def _resources_shape(
        cls, value: dict[str, dict[str, str | int]]
    ) -> dict[str, dict[str, str | int]]:
        unknown = set(value) - {"requests", "limits"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; only requests and limits")
        return value

    @field_validator("watch_namespaces", mode="before")
    @classmethod
    def _split_namespaces(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
