"""Shared helpers of the session pod benchmarks (run from the repository root)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def use_repo_imports() -> None:
    """Make ``tests.sessionpod.harness`` importable (after the standard library is loaded)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def rss_mib(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
