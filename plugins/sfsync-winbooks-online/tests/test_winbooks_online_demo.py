"""``sfsync demo`` includes WinBooks on Web: connected by support staff, linked in both modes,
synced twice; the second night reads no line and costs the declared requests."""

from __future__ import annotations

import asyncio

from sfsync.demo import run_demo
from sfsync.plugins import PluginRegistry
from sfsync_winbooks_online.connector import WinbooksConnector


def test_the_demo_connects_links_and_syncs_winbooks_online(tmp_path):
    registry = PluginRegistry()
    registry.register(WinbooksConnector(), "winbooks-online")
    rows = asyncio.run(run_demo(tmp_path / "demo", registry=registry, say=lambda *_: None))
    assert [(r.connector, r.mode, r.status) for r in rows] == [
        ("winbooks-online", "replace", "ok"), ("winbooks-online", "since", "ok")], rows
    assert all(r.balanced and r.lines > 0 and r.fetched_second == 0 for r in rows)
    assert all(r.requests_second <= 7 for r in rows), [r.requests_second for r in rows]
