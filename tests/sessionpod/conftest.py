"""Fixtures for tests that run the simulator and session pod processes (no cluster)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sessionpod.harness import Pod, Simulator, StatusSink


@pytest.fixture
def sink() -> Iterator[StatusSink]:
    status_sink = StatusSink()
    yield status_sink
    status_sink.close()


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Simulator]:
    sim = Simulator(tmp_path, first_ttl=3.0, next_ttl=1.0)
    yield sim
    sim.close()


@pytest.fixture
def start_pod(tmp_path: Path, simulator: Simulator, sink: StatusSink) -> Iterator[Callable[..., Pod]]:
    pods: list[Pod] = []

    def start(name: str, **env: Any) -> Pod:
        state_dir = tmp_path / "state" / name
        state_dir.mkdir(parents=True, exist_ok=True)
        pod = Pod(name=name, state_dir=state_dir, simulator_url=simulator.url, sink_url=sink.url,
                  log_path=tmp_path / f"{name}.log", **{k: str(v) for k, v in env.items()})
        pods.append(pod)
        return pod

    yield start
    for pod in pods:
        pod.close()
