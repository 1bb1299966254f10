"""The session pod's configuration from its environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from mywhatsapp.common import pod_contract as pc
from mywhatsapp.sessionpod.config import ConfigError, load_config

BASE = {
    pc.ENV_SESSION_NAME: "teste",
    pc.ENV_SESSION_NAMESPACE: "ns",
    pc.ENV_POD_IP: "10.1.2.3",
    pc.ENV_INTERNAL_TOKEN: "t" * 32,
    pc.ENV_BACKEND: "simulated",
    pc.ENV_SIMULATOR_URL: "http://sim:8099/",
}


def test_defaults_follow_the_pod_contract() -> None:
    config = load_config(BASE)
    assert config.http_port == pc.HTTP_PORT and config.state_dir == Path(pc.STATE_DIR)
    assert config.device_name == "My-Whatsapp" and config.qr_max_attempts == 5
    assert config.endpoint == f"10.1.2.3:{pc.HTTP_PORT}"
    assert config.simulator_url == "http://sim:8099"
    assert config.view_qr_terminal is False and config.pairing_phone is None
    assert config.stop_timeout == 20.0 and config.status_api_url is None


def test_everything_the_operator_sets_is_read() -> None:
    config = load_config(
        {**BASE, pc.ENV_HTTP_PORT: "9000", pc.ENV_QR_MAX_ATTEMPTS: "3", pc.ENV_DEVICE_NAME: "Loja",
         pc.ENV_STATE_DIR: "/data", pc.ENV_VIEW_QRCODE_TERMINAL: "1", pc.ENV_PAIRING_PHONE: "5511999998888",
         pc.ENV_POD_UID: "abc", pc.ENV_STOP_TIMEOUT: "7.5"}
    )
    assert (config.http_port, config.qr_max_attempts, config.device_name) == (9000, 3, "Loja")
    assert config.state_dir == Path("/data") and config.view_qr_terminal is True
    assert (config.pairing_phone, config.pod_uid, config.stop_timeout) == ("5511999998888", "abc", 7.5)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({pc.ENV_SESSION_NAME: ""}, "SESSION_NAME is required"),
        ({pc.ENV_INTERNAL_TOKEN: "short"}, "INTERNAL_TOKEN must be at least 16"),
        ({pc.ENV_BACKEND: "baileys"}, "BACKEND must be one of"),
        ({pc.ENV_SIMULATOR_URL: ""}, "SIMULATOR_URL is required"),
        ({pc.ENV_QR_MAX_ATTEMPTS: "0"}, "QR_MAX_ATTEMPTS must be at least 1"),
        ({pc.ENV_HTTP_PORT: "http"}, "HTTP_PORT must be an integer"),
        ({pc.ENV_PAIRING_PHONE: "+55 11"}, "PAIRING_PHONE must be 8 to 15 digits"),
    ],
)
def test_bad_environment_is_refused_with_a_clear_message(change: dict[str, str], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_config({**BASE, **change})


def test_neonize_needs_no_simulator() -> None:
    assert load_config({**BASE, pc.ENV_BACKEND: "neonize", pc.ENV_SIMULATOR_URL: ""}).backend == "neonize"
