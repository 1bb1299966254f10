"""Shared fixtures: one cluster per test run, a fresh namespace per test.

Without KUBECONFIG, the run starts its own local cluster in
`.localcluster-test/` (ports 26xxx, pods on 127.2.x.y), wiped first and
stopped at the end, so it never touches the developer's `make up` cluster.
TEST_CLUSTER_SLOT=N moves it to `.localcluster-test-N`, ports 26000+500·N
(below the kernel's ephemeral range)
and pods on 127.(2+N).x.y.
With KUBECONFIG set, the same cluster tests run against that cluster.
Unit tests (tests/unit) use none of this and load no kubeconfig.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mywhatsapp.localcluster import processes

from tests.kube import Cluster

REPO = Path(__file__).resolve().parent.parent


def _local_config():  # type: ignore[no-untyped-def]
    """The test cluster; TEST_CLUSTER_SLOT=N (0-9) lets several test runs share a machine."""
    from mywhatsapp.localcluster.config import ClusterConfig

    slot = int(os.environ.get("TEST_CLUSTER_SLOT", "0"))
    suffix = f"-{slot}" if slot else ""
    return ClusterConfig(state_dir=REPO / f".localcluster-test{suffix}", port_base=26000 + 500 * slot,
                         pod_net=2 + slot)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    external = os.environ.get("KUBECONFIG")
    if external:
        yield Cluster(Path(external), local=None)
        return
    from mywhatsapp.localcluster import controlplane

    cfg = _local_config()
    controlplane.down(cfg)
    shutil.rmtree(cfg.state_dir, ignore_errors=True)
    try:
        controlplane.up(cfg)
        yield Cluster(cfg.kubeconfig, local=cfg)
    finally:
        controlplane.down(cfg)


@pytest.fixture
def namespace(cluster: Cluster, request: pytest.FixtureRequest) -> Iterator[str]:
    slug = "".join(ch if ch.isalnum() else "-" for ch in request.node.name.lower())[:40].strip("-")
    name = f"t-{slug}-{uuid.uuid4().hex[:6]}"
    cluster.create_namespace(name)
    yield name
    cluster.delete(f"/api/v1/namespaces/{name}")


@pytest.fixture
def local_cluster(cluster: Cluster):  # type: ignore[no-untyped-def]
    """The local cluster's config, for tests about the local tooling itself."""
    if cluster.local is None:
        pytest.skip("needs the project's local cluster (KUBECONFIG points elsewhere)")
    return cluster.local


@pytest.fixture(scope="session")
def simulator(cluster: Cluster) -> Iterator[str]:
    """The WhatsApp simulator beside the local cluster (node address), with short QR lifetimes."""
    if cluster.local is None:
        pytest.skip("runs the simulator beside the project's local cluster")
    host, port = cluster.local.node_address, cluster.local.port_base + 91
    url = f"http://{host}:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "mywhatsapp.simulator.main", "--host", host, "--port", str(port),
                             "--qr-first-ttl", "3", "--qr-next-ttl", "2", "--log-level", "warning"])
    try:
        processes.wait_until(lambda: processes.http_ok(f"{url}/healthz"), timeout=30, what="the simulator")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
