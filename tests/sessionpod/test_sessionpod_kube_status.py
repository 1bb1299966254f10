"""The kubernetes-client transport sends merge patches to the status subresource."""

from __future__ import annotations

import asyncio

import pytest

from mywhatsapp.sessionpod.kube_status import KubeStatusTransport, StatusPatchError, status_path
from mywhatsapp.sessionpod.reporter import StatusReporter
from tests.sessionpod.harness import StatusSink


def test_merge_patch_of_the_status_subresource(sink: StatusSink) -> None:
    transport = KubeStatusTransport(namespace="team-a", name="loja", api_url=sink.url)
    try:
        asyncio.run(transport.patch_status({"status": {"state": "QRCODE", "qr": {"code": "2@x", "attempt": 1}}}))
        asyncio.run(transport.patch_status({"status": {"state": "CONNECTED", "qr": None}}))
    finally:
        transport.close()
    path = "/apis/mywhatsapp.io/v1alpha1/namespaces/team-a/whatsappsessions/loja/status"
    assert status_path("team-a", "loja") == path
    assert sink.requests == [(path, "application/merge-patch+json")] * 2
    assert sink.status("loja") == {"state": "CONNECTED"}


def test_refusals_and_outages_become_status_patch_errors(sink: StatusSink) -> None:
    sink.fail_next = 1
    transport = KubeStatusTransport(namespace="ns", name="x", api_url=sink.url)
    with pytest.raises(StatusPatchError) as refused:
        asyncio.run(transport.patch_status({"status": {"state": "STARTING"}}))
    assert refused.value.status == 503 and "try later" in str(refused.value)
    transport.close()
    gone = KubeStatusTransport(namespace="ns", name="x", api_url="http://127.0.0.1:9")
    with pytest.raises(StatusPatchError) as unreachable:
        asyncio.run(gone.patch_status({"status": {"state": "STARTING"}}))
    assert unreachable.value.status is None
    gone.close()


def test_reporter_rides_out_an_api_server_outage(sink: StatusSink) -> None:
    sink.fail_next = 2

    async def scenario() -> bool:
        transport = KubeStatusTransport(namespace="ns", name="y", api_url=sink.url)
        reporter = StatusReporter(transport, debounce=0.01, backoff_start=0.05)
        reporter.start()
        reporter.update({"status": {"state": "CONNECTED"}})
        done = await reporter.flush(10.0)
        await reporter.stop()
        transport.close()
        return done

    assert asyncio.run(scenario()) is True
    assert sink.status("y") == {"state": "CONNECTED"} and len(sink.requests) == 3
