"""Helpers of the chart tests: run helm, render the chart, pick objects out of it."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from mywhatsapp.localcluster.config import ClusterConfig

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "mywhatsapp"
RELEASE = "r"
NAMESPACE = "ns"


def helm_binary() -> Path:
    return ClusterConfig(state_dir=Path(".")).binary("helm")


def helm(*args: str, kubeconfig: Path | None = None, check: bool = True,
         timeout: float = 180) -> subprocess.CompletedProcess[str]:
    cmd = [str(helm_binary()), *args]
    if kubeconfig is not None:
        cmd.append(f"--kubeconfig={kubeconfig}")
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
    return proc


def template_args(values: dict[str, Any] | None, sets: Iterable[str], tmp: Path) -> list[str]:
    args: list[str] = []
    if values:
        path = tmp / "values.yaml"
        path.write_text(yaml.safe_dump(values))
        args += ["--values", str(path)]
    for item in sets:
        args += ["--set", item]
    return args


def render_text(values: dict[str, Any] | None = None, *sets: str, release: str = RELEASE,
                namespace: str = NAMESPACE, include_crds: bool = False, check: bool = True
                ) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as tmp:
        args = ["template", release, str(CHART), "--namespace", namespace,
                *template_args(values, sets, Path(tmp))]
        if include_crds:
            args.append("--include-crds")
        return helm(*args, check=check)


def render(values: dict[str, Any] | None = None, *sets: str, **kwargs: Any) -> list[dict[str, Any]]:
    """The chart's objects for these values (`helm template`)."""
    return [doc for doc in yaml.safe_load_all(render_text(values, *sets, **kwargs).stdout) if doc]


def find(objs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def one(objs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = find(objs, kind, name)
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {[o['metadata']['name'] for o in found]}"
    return found[0]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env(deployment: dict[str, Any]) -> dict[str, Any]:
    """name -> value (or valueFrom) of the deployment's container."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(deployment).get("env", [])}


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())
