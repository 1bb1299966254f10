"""OperatorSettings: defaults and parsing of the MYWHATSAPP_* environment."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from mywhatsapp.operator.config import OperatorSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("MYWHATSAPP_"):
            monkeypatch.delenv(key)


def test_defaults() -> None:
    settings = OperatorSettings()
    assert settings.session_image == "mywhatsapp-operator:latest"
    assert settings.default_backend == "neonize"
    assert settings.default_storage_class is None
    assert settings.default_storage_size == "1Gi"
    assert settings.default_resources == {
        "requests": {"cpu": "50m", "memory": "128Mi"},
        "limits": {"memory": "512Mi"},
    }
    assert settings.watch_namespaces == []
    assert settings.logout_timeout_seconds == 10
    assert (settings.metrics_port, settings.health_port) == (9090, 8081)


def test_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYWHATSAPP_SESSION_IMAGE", "reg/img:9")
    monkeypatch.setenv("MYWHATSAPP_DEFAULT_BACKEND", "simulated")
    monkeypatch.setenv("MYWHATSAPP_DEFAULT_STORAGE_CLASS", "fast")
    monkeypatch.setenv("MYWHATSAPP_DEFAULT_STORAGE_SIZE", "500Mi")
    monkeypatch.setenv("MYWHATSAPP_DEFAULT_RESOURCES", '{"limits": {"memory": "1Gi", "cpu": 2}}')
    monkeypatch.setenv("MYWHATSAPP_WATCH_NAMESPACES", " a, b,,c ")
    monkeypatch.setenv("MYWHATSAPP_LOGOUT_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("MYWHATSAPP_METRICS_PORT", "9999")
    monkeypatch.setenv("MYWHATSAPP_HEALTH_PORT", "8888")
    settings = OperatorSettings()
    assert settings.session_image == "reg/img:9"
    assert settings.default_backend == "simulated"
    assert settings.default_storage_class == "fast"
    assert settings.default_storage_size == "500Mi"
    assert settings.default_resources == {"limits": {"memory": "1Gi", "cpu": 2}}
    assert settings.watch_namespaces == ["a", "b", "c"]
    assert settings.logout_timeout_seconds == 2.5
    assert (settings.metrics_port, settings.health_port) == (9999, 8888)


def test_empty_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYWHATSAPP_WATCH_NAMESPACES", "")
    monkeypatch.setenv("MYWHATSAPP_DEFAULT_STORAGE_CLASS", "")
    settings = OperatorSettings()
    assert settings.watch_namespaces == []
    assert settings.default_storage_class is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MYWHATSAPP_DEFAULT_BACKEND", "baileys"),
        ("MYWHATSAPP_DEFAULT_STORAGE_SIZE", "lots"),
        ("MYWHATSAPP_DEFAULT_RESOURCES", '{"requsts": {"cpu": "1"}}'),
        ("MYWHATSAPP_DEFAULT_RESOURCES", "not json"),
        ("MYWHATSAPP_LOGOUT_TIMEOUT_SECONDS", "0"),
        ("MYWHATSAPP_METRICS_PORT", "70000"),
    ],
)
def test_invalid_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises((ValidationError, ValueError)):
        OperatorSettings()
