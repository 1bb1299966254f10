"""``mywhatsapp-sessionpod``: one WhatsApp session, its status reporter and internal API.

Startup: read the environment (``mywhatsapp.common.pod_contract``), start the
status reporter, the internal HTTP API on ``POD_IP:HTTP_PORT`` and the
session. The process ends when the session asks for it (auto-close: 0,
connection failure: 1) or on SIGTERM/SIGINT (0). Shutdown reports the final
status, stops the backend and flushes the reporter, all under a watchdog that
hard-exits after ``STOP_TIMEOUT_SECONDS`` (default 20, inside the pod's 30 s
grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator

import uvicorn
from kubernetes.config.config_exception import ConfigException
from mywhatsapp.sessionpod import watchdog
from mywhatsapp.sessionpod.backend import Backend
from mywhatsapp.sessionpod.config import ConfigError, PodConfig, load_config
from mywhatsapp.sessionpod.http_api import create_app
from mywhatsapp.sessionpod.kube_status import KubeStatusTransport
from mywhatsapp.sessionpod.reporter import StatusReporter
from mywhatsapp.sessionpod.session import Session
from mywhatsapp.sessionpod.webhook_outbox import FILE_NAME as OUTBOX_FILE
from mywhatsapp.sessionpod.webhook_outbox import Outbox
from mywhatsapp.sessionpod.webhooks import Dispatcher, TargetCache, WebhookEvents

log = logging.getLogger("mywhatsapp.sessionpod")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers (the pod handles SIGTERM itself)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def backend_factory(config: PodConfig) -> Callable[[], Backend]:
    """A constructor of the configured backend (neonize is imported only when used)."""
    if config.backend == "simulated":
        from mywhatsapp.sessionpod.simulated import SimulatedBackend

        url = config.simulator_url or ""
        return lambda: SimulatedBackend(url=url, state_dir=config.state_dir, device_name=config.device_name)
    from mywhatsapp.sessionpod.neonize_backend import NeonizeBackend

    return lambda: NeonizeBackend(state_dir=config.state_dir, device_name=config.device_name)


async def run(config: PodConfig) -> int:
    """Run the pod until it should end; return the exit code."""
    loop = asyncio.get_running_loop()
    try:
        transport = KubeStatusTransport(
            namespace=config.namespace, name=config.session_name, api_url=config.status_api_url
        )
    except ConfigException as error:
        log.error("no Kubernetes API configuration (in-cluster service account?): %s", error)
        return 2
    reporter = StatusReporter(transport)
    reporter.start()
    outbox = Outbox(config.state_dir / OUTBOX_FILE)
    targets = TargetCache(transport, cr_name=config.session_name)
    dispatcher = Dispatcher(outbox, targets, signing_key=config.webhook_signing_key,
                            allow_private=config.webhook_allow_private)
    dispatcher.start()  # reads the CR's webhooks now; delivers what an earlier process left
    session = Session(config, backend_factory(config), reporter, webhooks=WebhookEvents(outbox, dispatcher))
    server = _Server(
        uvicorn.Config(
            create_app(session, token=config.internal_token),
            host=config.pod_ip,
            port=config.http_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
    )
    serving = loop.create_task(server.serve(), name="internal-api")
    running = loop.create_task(session.run(), name="session")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stopping = loop.create_task(stop.wait())
    await asyncio.wait({serving, running, stopping, session.exit_requested},
                       return_when=asyncio.FIRST_COMPLETED)
    if session.exit_requested.done():
        code = session.exit_requested.result()
        reason = f"session ended (exit {code})"
    elif stop.is_set():
        code, reason = 0, "signal received"
    else:
        crashed = serving if serving.done() else running
        why = "cancelled" if crashed.cancelled() else crashed.exception()
        code, reason = 1, f"{crashed.get_name()} ended: {why}"
    log.info("shutting down: %s", reason)
    watchdog.arm(config.stop_timeout, code=code)
    deadline = time.monotonic() + config.stop_timeout * 0.9
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await session.shutdown(stop_timeout=config.stop_timeout * 0.5)
    if not await reporter.flush(max(0.5, deadline - time.monotonic() - 1.0)):
        log.warning("the final status could not be written before the deadline")
    if not await dispatcher.flush(min(2.0, max(0.0, deadline - time.monotonic() - 1.0))):
        log.info("%d webhook(s) left in the outbox for the next start", outbox.pending())
    server.should_exit = True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(serving), 1.0)
    stopping.cancel()
    await reporter.stop()
    await dispatcher.stop()
    outbox.close()
    transport.close()
    return code


def main() -> None:
    """Entry point of the ``mywhatsapp-sessionpod`` console script."""
    try:
        config = load_config(os.environ)
    except ConfigError as error:
        print(f"mywhatsapp-sessionpod: {error}", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(
        level=config.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Not asyncio.run(): its clean-up waits for worker threads, and a neonize call or an
    # API request to an unreachable server may still be blocked in one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    code = loop.run_until_complete(run(config))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # neonize's Go threads must not keep the process alive


if __name__ == "__main__":
    main()
