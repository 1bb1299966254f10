"""getHardWare: the seed's memory/uptime/CPU report, from /proc of the API's host."""

from __future__ import annotations

import math
import os
import time
from typing import Any


def _meminfo() -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                key, _, rest = line.partition(":")
                parts = rest.split()
                if parts and parts[0].isdigit():
                    values[key] = int(parts[0]) * 1024
    except OSError:
        pass
    return values


def _uptime() -> float:
    try:
        with open("/proc/uptime", encoding="ascii") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return time.monotonic()


def format_bytes(count: int) -> str:
    """1536 → '1.5 KB' (powers of 1024, at most two decimals)."""
    sizes = ["Bytes", "KB", "MB", "GB", "TB"]
    if count <= 0:
        return "0 Bytes"
    index = min(int(math.log2(count) // 10), len(sizes) - 1)
    value = round(count / (1024**index), 2)
    return f"{value:g} {sizes[index]}"


def format_uptime(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 86400}d {s % 86400 // 3600}h {s % 3600 // 60}m {s % 60}s"


def report() -> dict[str, Any]:
    """``{noformat: {...}, format: {...}}`` as the seed's getHardWare."""
    info = _meminfo()
    total = info.get("MemTotal", 0)
    free = info.get("MemAvailable", info.get("MemFree", 0))
    used = max(total - free, 0)
    cpus = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    cpu = min(load / cpus, 1.0)
    uptime = _uptime()
    free_ratio = free / total if total else 0.0
    used_ratio = used / total if total else 0.0
    return {
        "noformat": {
            "uptime": uptime,
            "totalmem": total,
            "memusage": used,
            "freemem": free,
            "freeusagemem": free_ratio,
            "usagemem": used_ratio,
            "cpuusage": cpu,
        },
        "format": {
            "uptime": format_uptime(uptime),
            "totalmem": format_bytes(total),
            "memusage": format_bytes(used),
            "freemem": format_bytes(free),
            "freeusagemem": f"{round(free_ratio * 100)}%",
            "usagemem": f"{round(used_ratio * 100)}%",
            "cpuusage": f"{round(cpu * 100)}%",
        },
    }
