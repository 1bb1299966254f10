"""The shutdown watchdog ends the process in time even when stopping the backend hangs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

HANGING_SHUTDOWN = textwrap.dedent(
    """
    import asyncio, sys, threading, time
    from mywhatsapp.sessionpod import watchdog

    class HangingClient:
        def stop(self):                 # like neonize's stop() on a hung dial: a blocking foreign call
            time.sleep(600)

    async def main():
        watchdog.arm(float(sys.argv[1]), code=int(sys.argv[2]))
        print("armed", flush=True)
        await asyncio.to_thread(HangingClient().stop)

    asyncio.run(main())
    print("not reached", flush=True)
    """
)


def test_watchdog_hard_exits_within_its_deadline_when_stop_hangs() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", HANGING_SHUTDOWN, "1.0", "3"], capture_output=True, text=True, timeout=30
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 3, done.stderr
    assert "armed" in done.stdout and "not reached" not in done.stdout
    assert 1.0 <= elapsed < 10.0
    assert "exiting hard" in done.stderr or done.stderr == ""


def test_watchdog_does_not_fire_before_its_deadline() -> None:
    script = "import time; from mywhatsapp.sessionpod import watchdog; watchdog.arm(30, code=4); time.sleep(0.5)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
