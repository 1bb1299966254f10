"""A last-resort timer that ends the process, whatever it is stuck in.

neonize's ``stop()`` can block for ~20 s on a hung dial, and its Go threads
can keep the interpreter from exiting. Once shutdown starts, ``arm`` starts a
daemon thread that calls ``os._exit`` when the deadline passes, so the pod
always ends inside its termination grace period.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

log = logging.getLogger(__name__)


def arm(seconds: float, *, code: int = 1) -> threading.Thread:
    """Hard-exit with ``code`` after ``seconds`` unless the process ended before."""

    def expire() -> None:
        time.sleep(seconds)
        log.error("shutdown took longer than %.1fs; exiting hard", seconds)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)

    thread = threading.Thread(target=expire, name="shutdown-watchdog", daemon=True)
    thread.start()
    return thread
