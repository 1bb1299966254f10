"""`make up` / `make down`: the whole system on the local cluster.

1. the control plane and the local kubelet (`controlplane.up`);
2. the WhatsApp simulator, a host process on the node address;
3. the Helm chart `helm/mywhatsapp`, installed with the cluster's own helm
   into namespace `mywhatsapp`: the operator and the API run as pods under
   the chart's ServiceAccounts and RBAC; the API's Service is a NodePort,
   served by the kubelet on the node address;
4. `.localcluster/api-url`, `.localcluster/secret-key` (the chart's generated
   admin key, mode 600) and `.localcluster/simulator-url` for scripts.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from . import controlplane, processes
from .config import REPO_ROOT, ClusterConfig

NAMESPACE = "mywhatsapp"
RELEASE = "mywhatsapp"
API_NODE_PORT = 30909
IMAGE_TAG = "dev"


def simulator_url(cfg: ClusterConfig) -> str:
    return f"http://{cfg.node_address}:{cfg.port_base + 90}"


def start_simulator(cfg: ClusterConfig) -> str:
    url = simulator_url(cfg)
    argv = [sys.executable, "-m", "mywhatsapp.simulator.main", "--host", cfg.node_address,
            "--port", str(cfg.port_base + 90), "--state-file", str(cfg.state_dir / "simulator-state.json")]
    processes.start_daemon("simulator", argv, pids=cfg.pids, logs=cfg.logs, state_dir=cfg.state_dir)
    processes.wait_until(lambda: processes.http_ok(f"{url}/healthz"), timeout=30, what="the simulator")
    (cfg.state_dir / "simulator-url").write_text(url + "\n")
    return url


def helm_values(cfg: ClusterConfig, *, backend: str) -> list[str]:
    sets = {
        "image.tag": IMAGE_TAG,
        "operator.session.backend": backend,
        "api.defaultBackend": backend,
        "operator.session.simulatorUrl": simulator_url(cfg),
        "operator.session.webhookAllowPrivate": "true",
        "api.service.type": "NodePort",
        "api.service.nodePort": str(API_NODE_PORT),
    }
    return [arg for k, v in sets.items() for arg in ("--set", f"{k}={v}")]


def install_chart(cfg: ClusterConfig, *, backend: str) -> None:
    cmd = [str(cfg.binary("helm")), "upgrade", "--install", RELEASE, str(REPO_ROOT / "helm" / "mywhatsapp"),
           "--kubeconfig", str(cfg.kubeconfig), "--namespace", NAMESPACE, "--create-namespace",
           "--wait", "--timeout", "180s", *helm_values(cfg, backend=backend)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"helm install failed: {proc.stderr or proc.stdout}")


def admin_key(cfg: ClusterConfig) -> str:
    kubectl = [str(cfg.binary("kubectl")), f"--kubeconfig={cfg.kubeconfig}", "-n", NAMESPACE]
    out = subprocess.run([*kubectl, "get", "secret", "-l", f"app.kubernetes.io/instance={RELEASE}", "-o", "json"],
                         capture_output=True, text=True, check=True).stdout
    for item in json.loads(out)["items"]:
        if "SECRET_KEY" in (item.get("data") or {}):
            return base64.b64decode(item["data"]["SECRET_KEY"]).decode()
    raise RuntimeError("the chart's Secret with SECRET_KEY was not found")


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


def up(cfg: ClusterConfig, *, backend: str = "simulated") -> str:
    """Bring everything up; return the API's URL."""
    controlplane.up(cfg)
    start_simulator(cfg)
    install_chart(cfg, backend=backend)
    url = f"http://{cfg.node_address}:{API_NODE_PORT}"
    processes.wait_until(lambda: processes.http_ok(f"{url}/readyz"), timeout=120, what="the API at " + url)
    (cfg.state_dir / "api-url").write_text(url + "\n")
    _write_private(cfg.state_dir / "secret-key", admin_key(cfg) + "\n")
    return url
