"""The thread that streams a file: errors reach the consumer, an early stop ends the thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sfsync_onprem.agent import Pump
from sfsync_onprem.readers import UnreadableFile


def _items(n: int, fail_at: int | None = None) -> Iterator[dict[str, Any]]:
    for i in range(n):
        if i == fail_at:
            raise UnreadableFile("big.xaf is truncated at line 99")
        yield {"i": i, "thread": threading.get_ident()}


def test_onprem_pump_streams_everything_from_one_thread() -> None:
    async def go() -> list[dict[str, Any]]:
        pump = Pump(_items(2500), chunk=100)
        out: list[dict[str, Any]] = []
        while chunk := await pump.next_chunk():
            out.extend(chunk)
        return out

    out = asyncio.run(go())
    assert [x["i"] for x in out] == list(range(2500))
    assert len({x["thread"] for x in out}) == 1


def test_onprem_pump_hands_over_the_error() -> None:
    async def go() -> None:
        pump = Pump(_items(1000, fail_at=150), chunk=100)
        while await pump.next_chunk():
            pass

    with pytest.raises(UnreadableFile, match="truncated"):
        asyncio.run(go())


def test_onprem_pump_stops_when_the_consumer_goes() -> None:
    closed = threading.Event()

    def endless() -> Iterator[dict[str, Any]]:
        try:
            i = 0
            while True:
                yield {"i": i}
                i += 1
        finally:
            closed.set()

    async def go() -> Pump:
        pump = Pump(endless(), chunk=10)
        await pump.next_chunk()
        pump.close()
        return pump

    pump = asyncio.run(go())
    deadline = time.monotonic() + 5
    while pump._thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pump._thread.is_alive() and closed.is_set()


def test_onprem_pump_consumer_cancelled_while_waiting_does_not_hang() -> None:
    gate = threading.Event()

    def slow() -> Iterator[dict[str, Any]]:
        gate.wait(5)
        yield {"i": 0}

    async def go() -> None:
        pump = Pump(slow(), chunk=10)
        task = asyncio.ensure_future(pump.next_chunk())
        await asyncio.sleep(0.1)
        task.cancel()
        pump.close()
        gate.set()

    started = time.monotonic()
    asyncio.run(go())  # returns: no executor thread is left blocked on the queue
    assert time.monotonic() - started < 5
