"""The status reporter against a fake transport: debounce, retries, never blocking."""

from __future__ import annotations

import asyncio
from typing import Any

from mywhatsapp.sessionpod.reporter import StatusReporter


class FakeTransport:
    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures = failures
        self.delay = delay
        self.received: list[dict[str, Any]] = []
        self.attempts = 0

    async def patch_status(self, body: dict[str, Any]) -> None:
        self.attempts += 1
        await asyncio.sleep(self.delay)
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("HTTP 409: conflict")
        self.received.append(body)


def patch(n: int) -> dict[str, Any]:
    return {"status": {"state": f"S{n}"}}


def test_a_burst_collapses_into_the_newest_patch() -> None:
    async def scenario() -> FakeTransport:
        transport = FakeTransport()
        reporter = StatusReporter(transport, debounce=0.05)
        reporter.start()
        for n in range(10):
            reporter.update(patch(n))
        assert await reporter.flush(2.0)
        await reporter.stop()
        return transport

    transport = asyncio.run(scenario())
    assert transport.received == [patch(9)]


def test_failures_are_retried_with_the_newest_status() -> None:
    async def scenario() -> tuple[FakeTransport, StatusReporter]:
        transport = FakeTransport(failures=3)
        reporter = StatusReporter(transport, debounce=0.01, backoff_start=0.02, backoff_max=0.05)
        reporter.start()
        reporter.update(patch(1))
        await asyncio.sleep(0.03)
        reporter.update(patch(2))
        assert await reporter.flush(3.0)
        await reporter.stop()
        return transport, reporter

    transport, reporter = asyncio.run(scenario())
    assert transport.received == [patch(2)]
    assert reporter.failures == 3 and transport.attempts == 4


def test_update_never_waits_for_a_slow_api_server() -> None:
    async def scenario() -> tuple[float, bool]:
        transport = FakeTransport(delay=1.0)
        reporter = StatusReporter(transport, debounce=0.0)
        reporter.start()
        loop = asyncio.get_running_loop()
        started = loop.time()
        for n in range(100):
            reporter.update(patch(n))
            await asyncio.sleep(0)
        elapsed = loop.time() - started
        flushed = await reporter.flush(0.1)
        await reporter.stop()
        return elapsed, flushed

    elapsed, flushed = asyncio.run(scenario())
    assert elapsed < 0.5
    assert flushed is False  # flush honours its deadline


def test_an_unchanged_status_is_not_sent_again() -> None:
    async def scenario() -> FakeTransport:
        transport = FakeTransport()
        reporter = StatusReporter(transport, debounce=0.01)
        reporter.start()
        reporter.update(patch(1))
        assert await reporter.flush(1.0)
        reporter.update(patch(1))
        reporter.update(patch(2))
        reporter.update(patch(1))
        assert await reporter.flush(1.0)
        await reporter.stop()
        return transport

    assert asyncio.run(scenario()).received == [patch(1)]
