"""The session pod's configuration, read once from its environment.

Variable names come from ``mywhatsapp.common.pod_contract`` (the operator sets
them in the pod spec). ``load_config`` is pure: it takes the environment as a
mapping and raises ``ConfigError`` with every problem it found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mywhatsapp.common import pod_contract as pc

BACKENDS = ("simulated", "neonize")
DEFAULT_STOP_TIMEOUT = 20.0
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class ConfigError(ValueError):
    """The environment cannot run a session pod."""


@dataclass(frozen=True)
class PodConfig:
    """Everything the pod reads from its environment."""

    session_name: str
    namespace: str
    pod_ip: str
    http_port: int
    backend: str
    qr_max_attempts: int
    device_name: str
    internal_token: str
    webhook_signing_key: str
    state_dir: Path
    simulator_url: str | None
    pairing_phone: str | None
    view_qr_terminal: bool
    stop_timeout: float
    pod_uid: str | None
    status_api_url: str | None
    log_level: str
    webhook_allow_private: bool = False

    @property
    def endpoint(self) -> str:
        """``<pod ip>:<port>``, what the pod writes to ``status.endpoint``."""
        return f"{self.pod_ip}:{self.http_port}"


def _int(environ: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{name} must be an integer, not {raw!r}")
        return default


def load_config(environ: Mapping[str, str]) -> PodConfig:
    """Build the configuration from ``environ``; ``ConfigError`` lists what is wrong."""
    problems: list[str] = []

    def required(name: str) -> str:
        value = environ.get(name, "").strip()
        if not value:
            problems.append(f"{name} is required")
        return value

    session_name = required(pc.ENV_SESSION_NAME)
    namespace = required(pc.ENV_SESSION_NAMESPACE)
    token = environ.get(pc.ENV_INTERNAL_TOKEN, "")
    if len(token) < 16:
        problems.append(f"{pc.ENV_INTERNAL_TOKEN} must be at least 16 characters")
    backend = environ.get(pc.ENV_BACKEND, "neonize").strip() or "neonize"
    if backend not in BACKENDS:
        problems.append(f"{pc.ENV_BACKEND} must be one of {', '.join(BACKENDS)}, not {backend!r}")
    simulator_url = environ.get(pc.ENV_SIMULATOR_URL, "").strip().rstrip("/") or None
    if backend == "simulated" and simulator_url is None:
        problems.append(f"{pc.ENV_SIMULATOR_URL} is required for the simulated backend")
    port = _int(environ, pc.ENV_HTTP_PORT, pc.HTTP_PORT, problems)
    if not 0 < port < 65536:
        problems.append(f"{pc.ENV_HTTP_PORT} must be a TCP port, not {port}")
    attempts = _int(environ, pc.ENV_QR_MAX_ATTEMPTS, 5, problems)
    if attempts < 1:
        problems.append(f"{pc.ENV_QR_MAX_ATTEMPTS} must be at least 1, not {attempts}")
    pairing_phone = environ.get(pc.ENV_PAIRING_PHONE, "").strip() or None
    if pairing_phone is not None and not (pairing_phone.isdigit() and 8 <= len(pairing_phone) <= 15):
        problems.append(f"{pc.ENV_PAIRING_PHONE} must be 8 to 15 digits, not {pairing_phone!r}")
    try:
        stop_timeout = float(environ.get(pc.ENV_STOP_TIMEOUT, "") or DEFAULT_STOP_TIMEOUT)
    except ValueError:
        problems.append(f"{pc.ENV_STOP_TIMEOUT} must be a number of seconds")
        stop_timeout = DEFAULT_STOP_TIMEOUT
    if problems:
        raise ConfigError("; ".join(problems))
    return PodConfig(
        session_name=session_name,
        namespace=namespace,
        pod_ip=environ.get(pc.ENV_POD_IP, "").strip() or "0.0.0.0",
        http_port=port,
        backend=backend,
        qr_max_attempts=attempts,
        device_name=environ.get(pc.ENV_DEVICE_NAME, "").strip() or pc.DEFAULT_DEVICE_NAME,
        internal_token=token,
        webhook_signing_key=environ.get(pc.ENV_WEBHOOK_SIGNING_KEY, ""),
        state_dir=Path(environ.get(pc.ENV_STATE_DIR, "").strip() or pc.STATE_DIR),
        simulator_url=simulator_url,
        pairing_phone=pairing_phone,
        view_qr_terminal=environ.get(pc.ENV_VIEW_QRCODE_TERMINAL, "").strip().lower() in TRUE_WORDS,
        stop_timeout=stop_timeout,
        pod_uid=environ.get(pc.ENV_POD_UID, "").strip() or None,
        status_api_url=environ.get(pc.ENV_STATUS_API_URL, "").strip().rstrip("/") or None,
        log_level=(environ.get(pc.ENV_LOG_LEVEL, "") or "INFO").upper(),
        webhook_allow_private=environ.get(pc.ENV_WEBHOOK_ALLOW_PRIVATE, "").strip().lower() in TRUE_WORDS,
    )
