"""Idle memory (RSS) of a session pod: simulated backend, and with neonize loaded.

1. A ``mywhatsapp-sessionpod`` with the simulated backend, linked to a phone
   and idle (CONNECTED) for a few seconds.
2. A process holding the same modules plus neonize's async client (its Go
   library loaded), i.e. what a neonize pod carries before it connects.
Usage: ``.venv/bin/python bench/sessionpod_rss.py``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sessionpod_common import rss_mib, use_repo_imports

NEONIZE_LOADED = """
import time, mywhatsapp.sessionpod.main, mywhatsapp.sessionpod.simulated
import neonize.aioze.client, mywhatsapp.sessionpod.neonize_backend
print("loaded", flush=True)
time.sleep(60)
"""


def main() -> None:
    use_repo_imports()
    from tests.sessionpod.harness import Pod, Simulator, StatusSink

    work = Path(tempfile.mkdtemp(prefix="bench-rss-"))
    sink, simulator = StatusSink(), Simulator(work, first_ttl=60, next_ttl=20)
    try:
        pod = Pod(name="rss", state_dir=work / "state", simulator_url=simulator.url, sink_url=sink.url,
                  log_path=work / "pod.log", LOG_LEVEL="WARNING")
        shown = sink.wait("rss", lambda s: bool(s.get("qr")), timeout=30, what="a QR code")
        simulator.scan("5511999990009", shown["qr"]["code"])
        sink.wait("rss", lambda s: s.get("state") == "CONNECTED", timeout=30, what="CONNECTED")
        time.sleep(3)
        print(f"simulated pod, connected and idle: {rss_mib(pod.process.pid):6.1f} MiB")
        pod.terminate()
        pod.close()
    finally:
        simulator.close()
        sink.close()
    holder = subprocess.Popen([sys.executable, "-c", NEONIZE_LOADED], stdout=subprocess.PIPE, text=True, cwd=work)
    try:
        if holder.stdout is None or holder.stdout.readline().strip() != "loaded":
            raise RuntimeError("the neonize process did not start")
        time.sleep(1)
        print(f"pod modules + neonize loaded:      {rss_mib(holder.pid):6.1f} MiB")
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


if __name__ == "__main__":
    main()
