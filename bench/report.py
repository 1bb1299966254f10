"""Shared by the benchmarks: their throw-away cluster and their section of docs/benchmarks.md."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mywhatsapp.localcluster import controlplane
from mywhatsapp.localcluster.config import ClusterConfig

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "docs" / "benchmarks.md"


@contextmanager
def bench_cluster(*, kubelet: bool) -> Iterator[ClusterConfig]:
    """A fresh local cluster in `.localcluster-bench/` (ports 56xxx) with the CRDs, stopped afterwards."""
    cfg = ClusterConfig(state_dir=REPO / ".localcluster-bench", port_base=56000, pod_net=30)
    controlplane.down(cfg)
    shutil.rmtree(cfg.state_dir, ignore_errors=True)
    controlplane.up(cfg, kubelet=kubelet)
    try:
        kubectl = [str(cfg.binary("kubectl")), f"--kubeconfig={cfg.kubeconfig}"]
        subprocess.run([*kubectl, "apply", "-f", str(REPO / "crds")], check=True, capture_output=True)
        subprocess.run([*kubectl, "wait", "--for=condition=Established", "crd/whatsappsessions.mywhatsapp.io"],
                       check=True, capture_output=True)
        yield cfg
    finally:
        controlplane.down(cfg)


def write_section(heading: str, section: str) -> None:
    """Replace (or append) the `## heading` section of docs/benchmarks.md with `section`."""
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else "# Benchmarks\n"
    start = text.find(heading)
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section.rstrip() + "\n" + (text[end:] if end >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    BENCHMARKS.write_text(text)
