"""Start → first QR latency of a session pod (simulated backend), next to its floor.

Measured without a cluster: from spawning ``mywhatsapp-sessionpod`` to the stub
API server receiving the status patch that carries the first QR code. The
floor is a bare process with the same imports that sends one status patch
through the same transport. Usage: ``.venv/bin/python bench/sessionpod_start_latency.py [runs]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sessionpod_common import use_repo_imports

FLOOR = """
import asyncio, sys
import mywhatsapp.sessionpod.main, mywhatsapp.sessionpod.simulated  # the pod's imports
from mywhatsapp.sessionpod.kube_status import KubeStatusTransport
transport = KubeStatusTransport(namespace="bench", name=sys.argv[2], api_url=sys.argv[1])
asyncio.run(transport.patch_status({"status": {"state": "STARTING"}}))
"""


def main() -> None:
    use_repo_imports()
    from tests.sessionpod.harness import VENV_BIN, Simulator, StatusSink, free_port, wait_for

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    work = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    sink, simulator = StatusSink(), Simulator(work, first_ttl=60, next_ttl=20)
    pod_times, floor_times = [], []
    try:
        for run in range(runs):
            name = f"pod{run}"
            env = {"PATH": os.environ["PATH"], "SESSION_NAME": name, "SESSION_NAMESPACE": "bench",
                   "POD_IP": "127.0.0.1", "HTTP_PORT": str(free_port()), "BACKEND": "simulated",
                   "SIMULATOR_URL": simulator.url, "INTERNAL_TOKEN": "b" * 24,
                   "STATE_DIR": str(work / name), "STATUS_API_URL": sink.url, "LOG_LEVEL": "WARNING"}
            started = time.monotonic()
            process = subprocess.Popen([str(VENV_BIN / "mywhatsapp-sessionpod")], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(lambda name=name: sink.status(name).get("qr"), timeout=30, what="the first QR", interval=0.002)
            pod_times.append(time.monotonic() - started)
            process.terminate()
            process.wait(30)

            floor_name = f"floor{run}"
            started = time.monotonic()
            subprocess.run([sys.executable, "-c", FLOOR, sink.url, floor_name], check=True, cwd=work)
            wait_for(lambda floor_name=floor_name: sink.status(floor_name), timeout=30,
                     what="the floor's patch", interval=0.002)
            floor_times.append(time.monotonic() - started)
    finally:
        simulator.close()
        sink.close()
    for label, values in (("pod start -> first QR patch", pod_times), ("floor (imports + 1 patch)", floor_times)):
        print(f"{label:30s} median {statistics.median(values) * 1000:7.1f} ms   "
              f"min {min(values) * 1000:7.1f} ms   runs {len(values)}")


if __name__ == "__main__":
    main()
