"""Start and stop the real control plane: etcd, kube-apiserver, kube-controller-manager.

The binaries come from the per-user cache filled by `build-binaries.sh`. The
API server runs with RBAC, a service-account issuer and signing key (so the
TokenRequest API works) and an admin client certificate written into
`<state>/kubeconfig`. The controller manager runs the controllers the project
relies on; there is no kube-scheduler: the local kubelet binds pods itself.
"""

from __future__ import annotations

import base64
import ssl
import sys
from pathlib import Path

import yaml

from mywhatsapp.common.kube_sync import KubeClient

from . import processes
from .config import NODE_NAME, SA_ISSUER, SERVICE_CIDR, SERVICE_IP, ClusterConfig
from .pki import Pki, ensure_pki

# Controllers the project relies on, and the ones they need to work at all.
CONTROLLERS = (
    "garbage-collector-controller",
    "statefulset-controller",
    "deployment-controller",
    "replicaset-controller",
    "persistentvolume-binder-controller",
    "persistentvolume-protection-controller",
    "persistentvolumeclaim-protection-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "root-ca-certificate-publisher-controller",
    "endpointslice-controller",
    "disruption-controller",
    "job-controller",
    "pod-garbage-collector-controller",
)

# Started in this order, stopped in reverse (the simulator is started by stack.py).
ORDER = ("etcd", "kube-apiserver", "kube-controller-manager", "kubelet", "simulator")


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def kubeconfig_text(cfg: ClusterConfig, pki: Pki, user: str) -> str:
    """A kubeconfig for the client certificate `user`, with its data inlined."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": {
            "server": cfg.server, "certificate-authority-data": _b64(pki.ca_cert)}}],
        "users": [{"name": user, "user": {
            "client-certificate-data": _b64(pki.cert(user)),
            "client-key-data": _b64(pki.key(user))}}],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": user}}],
        "current-context": "local",
    }
    return yaml.safe_dump(doc, sort_keys=False)


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


def etcd_argv(cfg: ClusterConfig) -> list[str]:
    peer = f"http://127.0.0.1:{cfg.etcd_peer_port}"
    client = f"http://127.0.0.1:{cfg.etcd_port}"
    return [
        str(cfg.binary("etcd")),
        "--name=local",
        f"--data-dir={cfg.state_dir / 'etcd'}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=local={peer}",
        # A throw-away development store: durability is not worth the fsyncs.
        "--unsafe-no-fsync=true",
        "--log-level=warn",
    ]


def apiserver_argv(cfg: ClusterConfig, pki: Pki) -> list[str]:
    return [
        str(cfg.binary("kube-apiserver")),
        f"--etcd-servers=http://127.0.0.1:{cfg.etcd_port}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={cfg.apiserver_port}",
        f"--tls-cert-file={pki.cert('apiserver')}",
        f"--tls-private-key-file={pki.key('apiserver')}",
        f"--client-ca-file={pki.ca_cert}",
        "--authorization-mode=RBAC",
        f"--service-account-issuer={SA_ISSUER}",
        f"--service-account-key-file={pki.sa_pub}",
        f"--service-account-signing-key-file={pki.sa_key}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # Loopback addresses are not valid endpoints; pods reach the API
        # server through KUBERNETES_SERVICE_HOST=127.0.0.1 instead.
        "--endpoint-reconciler-type=none",
        f"--kubelet-client-certificate={pki.cert('apiserver-kubelet-client')}",
        f"--kubelet-client-key={pki.key('apiserver-kubelet-client')}",
        "--kubelet-preferred-address-types=InternalIP",
        "--allow-privileged=true",
        "--profiling=false",
        "--v=1",
    ]


def controller_manager_argv(cfg: ClusterConfig, pki: Pki) -> list[str]:
    return [
        str(cfg.binary("kube-controller-manager")),
        f"--kubeconfig={cfg.state_dir / 'controller-manager.kubeconfig'}",
        f"--controllers={','.join(CONTROLLERS)}",
        f"--root-ca-file={pki.ca_cert}",
        f"--service-account-private-key-file={pki.sa_key}",
        # Each controller runs as its own service account, as the bootstrap RBAC expects.
        "--use-service-account-credentials=true",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={cfg.controller_manager_port}",
        f"--cert-dir={cfg.state_dir / 'controller-manager-certs'}",
        "--concurrent-statefulset-syncs=10",
        # The PV binder retries a claim it could not save (a conflict with the
        # StatefulSet controller's update) only at its next sync: keep it short.
        "--pvclaimbinder-sync-period=2s",
        "--concurrent-gc-syncs=20",
        "--profiling=false",
        "--v=1",
    ]


def kubelet_argv(cfg: ClusterConfig) -> list[str]:
    return [
        sys.executable, "-m", "mywhatsapp.localcluster.kubelet",
        f"--state-dir={cfg.state_dir}",
        f"--port-base={cfg.port_base}",
        f"--pod-net={cfg.pod_net}",
    ]


def _admin_tls(pki: Pki) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    ctx.load_cert_chain(str(pki.cert("admin")), str(pki.key("admin")))
    return ctx


def _insecure_tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def missing_binaries(cfg: ClusterConfig) -> list[str]:
    return [n for n in ("etcd", "kube-apiserver", "kube-controller-manager", "kubectl")
            if not cfg.binary(n).exists()]


def up(cfg: ClusterConfig, *, timeout: float = 120.0, kubelet: bool = True) -> None:
    """Start every component that is not running yet and wait until healthy."""
    missing = missing_binaries(cfg)
    if missing:
        raise RuntimeError(
            f"missing {', '.join(missing)} in {cfg.binary('')}: run localcluster/build-binaries.sh")
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    pki = ensure_pki(cfg.pki_dir, service_ip=SERVICE_IP)
    _write_private(cfg.kubeconfig, kubeconfig_text(cfg, pki, "admin"))
    _write_private(cfg.state_dir / "controller-manager.kubeconfig",
                   kubeconfig_text(cfg, pki, "controller-manager"))
    common = dict(pids=cfg.pids, logs=cfg.logs, state_dir=cfg.state_dir)

    processes.start_daemon("etcd", etcd_argv(cfg), **common)
    processes.wait_until(
        lambda: processes.http_ok(f"http://127.0.0.1:{cfg.etcd_port}/health"),
        timeout=timeout, what="etcd /health")

    processes.start_daemon("kube-apiserver", apiserver_argv(cfg, pki), **common)
    admin = _admin_tls(pki)
    processes.wait_until(
        lambda: processes.http_ok(f"{cfg.server}/readyz", context=admin),
        timeout=timeout, what="kube-apiserver /readyz")

    processes.start_daemon("kube-controller-manager", controller_manager_argv(cfg, pki), **common)
    processes.wait_until(
        lambda: processes.http_ok(
            f"https://127.0.0.1:{cfg.controller_manager_port}/healthz", context=_insecure_tls()),
        timeout=timeout, what="kube-controller-manager /healthz")

    if kubelet:
        processes.start_daemon("kubelet", kubelet_argv(cfg), **common)
        processes.wait_until(lambda: _node_ready(cfg), timeout=timeout, what="the local node to be Ready")


def _node_ready(cfg: ClusterConfig) -> bool:
    node = KubeClient.from_kubeconfig(cfg.kubeconfig).get_or_none(f"/api/v1/nodes/{NODE_NAME}") or {}
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def down(cfg: ClusterConfig) -> list[int]:
    """Stop every component (kubelet first, so pods end gracefully); return strays killed."""
    for name in reversed(ORDER):
        processes.stop_daemon(name, pids=cfg.pids, grace=40.0 if name == "kubelet" else 15.0)
    strays = processes.stray_processes(cfg.state_dir)
    for pid in strays:
        processes.stop_pid(pid, grace=5.0)
    return strays


def status(cfg: ClusterConfig) -> dict[str, int | None]:
    return {name: processes.read_pid(cfg.pids / f"{name}.pid") for name in ORDER}
