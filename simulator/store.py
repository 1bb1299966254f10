"""Durable state of the simulator: an optional JSON file, written atomically."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def load(path: Path | None) -> dict[str, Any]:
    """The saved state, or an empty one when there is no file (yet)."""
    if path is None or not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return data


def save(path: Path | None, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` (temporary file + rename, so never half-written)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temporary, path)
