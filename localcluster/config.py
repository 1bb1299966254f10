"""Where one local cluster lives: its state folder, ports and pod address range.

Two clusters can run side by side (the developer's `make up` one and the test
run's) because each has its own state folder, port base and 127.N.0.0/16 range
of pod addresses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_ROOT = Path(os.environ.get("MYWHATSAPP_CACHE", Path.home() / ".cache" / "mywhatsapp"))
SERVICE_CIDR = "10.96.0.0/16"
SERVICE_IP = "10.96.0.1"
SA_ISSUER = "https://kubernetes.default.svc.cluster.local"
NODE_NAME = "local-node"
PROVISIONER = "mywhatsapp.io/local"
STORAGE_CLASS = "local"
RUNNABLE_IMAGE_PREFIX = "mywhatsapp-operator"


@dataclass(frozen=True)
class ClusterConfig:
    """Addresses and folders of one local cluster."""

    state_dir: Path
    port_base: int = 16000
    pod_net: int = 1  # pods get 127.<pod_net>.x.y
    bin_dir: Path | None = None

    @property
    def etcd_port(self) -> int:
        return self.port_base + 379

    @property
    def etcd_peer_port(self) -> int:
        return self.port_base + 380

    @property
    def apiserver_port(self) -> int:
        return self.port_base + 443

    @property
    def controller_manager_port(self) -> int:
        return self.port_base + 257

    @property
    def kubelet_port(self) -> int:
        return self.port_base + 250

    @property
    def node_address(self) -> str:
        """Where NodePort Services listen (kept out of the pod address pool)."""
        return f"127.{self.pod_net}.255.254"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.apiserver_port}"

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def pids(self) -> Path:
        return self.state_dir / "pids"

    @property
    def pki_dir(self) -> Path:
        return self.state_dir / "pki"

    @property
    def pods_dir(self) -> Path:
        return self.state_dir / "pods"

    @property
    def volumes_dir(self) -> Path:
        return self.state_dir / "volumes"

    def binary(self, name: str) -> Path:
        """Path of a Go-built binary from the per-user cache."""
        base = self.bin_dir or Path(os.environ.get("MYWHATSAPP_BIN", CACHE_ROOT / "bin" / "current"))
        return base / name

    @classmethod
    def from_env(cls) -> "ClusterConfig":
        """The developer's cluster unless LOCALCLUSTER_* says otherwise."""
        return cls(
            state_dir=Path(os.environ.get("LOCALCLUSTER_DIR", REPO_ROOT / ".localcluster")).resolve(),
            port_base=int(os.environ.get("LOCALCLUSTER_PORT_BASE", "16000")),
            pod_net=int(os.environ.get("LOCALCLUSTER_POD_NET", "1")),
        )
