"""The local kubelet's own promises: restarts, probes, graceful deletion, clear failures, clean shutdown."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from mywhatsapp.localcluster.processes import stray_processes
from tests.kube import Cluster, wait_for

pytestmark = pytest.mark.cluster
IMAGE = "mywhatsapp-operator:test"
REPO = Path(__file__).resolve().parents[2]


def pod(name: str, command: list[str], **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": spec.pop("image", IMAGE), "command": command,
                 **spec.pop("container", {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"t": name}},
            "spec": {"containers": [container], **spec}}


def read_pod(cluster: Cluster, ns: str, name: str) -> dict[str, Any]:
    return cluster.get(f"/api/v1/namespaces/{ns}/pods/{name}") or {}


def container_status(p: dict[str, Any]) -> dict[str, Any]:
    return ((p.get("status") or {}).get("containerStatuses") or [{}])[0]


def test_a_crashing_container_is_restarted_and_counted(cluster: Cluster, namespace: str) -> None:
    cluster.apply(namespace, [pod("crash", ["python", "-c", "import sys; sys.exit(3)"])])
    st = wait_for(lambda: (s := container_status(read_pod(cluster, namespace, "crash")))
                  .get("restartCount", 0) >= 2 and s, what="two restarts", timeout=60)
    assert st["lastState"]["terminated"]["exitCode"] == 3
    assert read_pod(cluster, namespace, "crash")["status"]["phase"] == "Running"


def test_restart_policy_never_ends_in_failed_with_the_exit_code(cluster: Cluster, namespace: str) -> None:
    cluster.apply(namespace, [pod("once", ["python", "-c", "import sys; sys.exit(7)"], restartPolicy="Never"),
                              pod("ok", ["python", "-c", "print('done')"], restartPolicy="Never")])
    failed = wait_for(lambda: (p := read_pod(cluster, namespace, "once"))["status"].get("phase") == "Failed" and p,
                      what="phase Failed")
    assert container_status(failed)["state"]["terminated"]["exitCode"] == 7
    assert container_status(failed)["restartCount"] == 0
    wait_for(lambda: read_pod(cluster, namespace, "ok")["status"].get("phase") == "Succeeded", what="Succeeded")


def test_failing_liveness_probe_restarts_the_container(cluster: Cluster, namespace: str) -> None:
    probe = {"httpGet": {"path": "/no-such-path", "port": 8080}, "periodSeconds": 1, "failureThreshold": 2}
    cluster.apply(namespace, [pod("sick", ["python", "-m", "mywhatsapp.localcluster.inspector"], container={
        "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        "livenessProbe": probe})])
    wait_for(lambda: container_status(read_pod(cluster, namespace, "sick")).get("restartCount", 0) >= 1,
             what="a restart after liveness failures", timeout=60)
    events = cluster.get(f"/api/v1/namespaces/{namespace}/events")["items"]
    assert any(e["reason"] == "Unhealthy" and e["involvedObject"]["name"] == "sick" for e in events)


def test_readiness_gates_the_ready_condition(cluster: Cluster, namespace: str) -> None:
    probe = {"httpGet": {"path": "/no-such-path", "port": 8080}, "periodSeconds": 1}
    cluster.apply(namespace, [pod("unready", ["python", "-m", "mywhatsapp.localcluster.inspector"], container={
        "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        "readinessProbe": probe})])
    running = wait_for(lambda: (p := read_pod(cluster, namespace, "unready"))["status"].get("phase") == "Running"
                       and container_status(p).get("started") and p, what="Running")
    # It keeps running, never Ready, because /no-such-path answers 404.
    wait_for(lambda: all(f["status"] == "False" for f in read_pod(cluster, namespace, "unready")["status"]
                         ["conditions"] if f["type"] == "Ready"), what="Ready=False")
    assert container_status(running)["ready"] is False


def test_deletion_sends_sigterm_then_sigkill_after_the_grace_period(cluster: Cluster, namespace: str) -> None:
    stubborn = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: time.sleep(1)"
    polite = "import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\nwhile True: time.sleep(1)"
    cluster.apply(namespace, [pod("stubborn", ["python", "-c", stubborn], terminationGracePeriodSeconds=3),
                              pod("polite", ["python", "-c", polite], terminationGracePeriodSeconds=30)])
    for name in ("stubborn", "polite"):
        wait_for(lambda: container_status(read_pod(cluster, namespace, name)).get("started"), what=f"{name} started")
    t0 = time.monotonic()
    cluster.delete(f"/api/v1/namespaces/{namespace}/pods/polite")
    wait_for(lambda: cluster.get(f"/api/v1/namespaces/{namespace}/pods/polite") is None, what="polite gone")
    polite_s = time.monotonic() - t0
    t0 = time.monotonic()
    cluster.delete(f"/api/v1/namespaces/{namespace}/pods/stubborn")
    wait_for(lambda: cluster.get(f"/api/v1/namespaces/{namespace}/pods/stubborn") is None,
             what="stubborn gone", timeout=30)
    stubborn_s = time.monotonic() - t0
    assert polite_s < 3, f"a process that exits on SIGTERM must not wait out its 30 s grace ({polite_s:.1f} s)"
    assert 3 <= stubborn_s < 15, f"SIGKILL must follow the 3 s grace period ({stubborn_s:.1f} s)"


def test_an_image_it_cannot_run_gets_a_clear_status(cluster: Cluster, namespace: str) -> None:
    if cluster.local is None:
        pytest.skip("about the local kubelet's image rule")
    cluster.apply(namespace, [pod("web", ["nginx"], image="nginx:1.27")])
    st = wait_for(lambda: container_status(read_pod(cluster, namespace, "web")).get("state", {}).get("waiting", {})
                  .get("reason") == "ErrImageNeverPull" and container_status(read_pod(cluster, namespace, "web")),
                  what="ErrImageNeverPull")
    assert "mywhatsapp-operator" in st["state"]["waiting"]["message"]
    assert read_pod(cluster, namespace, "web")["status"]["phase"] == "Pending"


def test_make_up_then_make_down_leaves_no_process_behind(local_cluster: Any, tmp_path: Path) -> None:
    state = tmp_path / "cluster"
    slot = int(os.environ.get("TEST_CLUSTER_SLOT", "0"))  # below the ephemeral range; slots never collide
    env = {**os.environ, "LOCALCLUSTER_DIR": str(state), "LOCALCLUSTER_PORT_BASE": str(21000 + 500 * slot),
           "LOCALCLUSTER_POD_NET": str(20 + slot)}
    env.pop("KUBECONFIG", None)
    up = subprocess.run(["make", "up"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        assert (state / "kubeconfig").exists()
        name = f"p-{uuid.uuid4().hex[:6]}"
        other = Cluster(state / "kubeconfig", local=local_cluster)
        other.apply("default", [pod(name, ["python", "-c", "import time\nwhile True: time.sleep(1)"])])
        wait_for(lambda: container_status(read_pod(other, "default", name)).get("started"), what="a running pod")
        assert len(stray_processes(state)) >= 5  # etcd, apiserver, controller-manager, kubelet, the pod
    finally:
        down = subprocess.run(["make", "down"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert down.returncode == 0, down.stdout + down.stderr
    assert stray_processes(state) == []


def test_a_volume_over_the_checkout_does_not_hide_the_pods_software(local_cluster: Any, cluster: Cluster,
                                                                      namespace: str) -> None:
    """An emptyDir on a parent of the venv (as /tmp is when CI clones into /tmp) must not break the pod."""
    parent = str(REPO.parent)
    cluster.apply(namespace, [pod("shadow", ["python", "-c", "import mywhatsapp.common.crd, time\nwhile True: time.sleep(1)"],
                                  container={"volumeMounts": [{"name": "scratch", "mountPath": parent}]},
                                  volumes=[{"name": "scratch", "emptyDir": {}}])])
    st = wait_for(lambda: (s := container_status(read_pod(cluster, namespace, "shadow"))).get("started") and s,
                  what="the pod to run with a volume over its checkout's parent")
    assert st["restartCount"] == 0


def test_kubectl_logs_shows_what_the_container_printed(cluster: Cluster, namespace: str) -> None:
    script = "print('first line', flush=True)\nprint('second line', flush=True)\nimport time\ntime.sleep(120)"
    cluster.apply(namespace, [pod("talker", ["python", "-c", script])])
    out = wait_for(lambda: "second line" in (o := cluster.kubectl("logs", "-n", namespace, "talker", check=False).stdout)
                   and o, what="the container's output in kubectl logs")
    assert out.splitlines() == ["first line", "second line"]
    assert cluster.kubectl("logs", "-n", namespace, "talker", "--tail=1").stdout.splitlines() == ["second line"]
