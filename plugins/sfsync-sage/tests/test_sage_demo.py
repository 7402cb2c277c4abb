"""``sfsync demo`` includes Sage through the registry: connected through the sign-in page, linked
in both modes, synced twice, the second time for three requests (four on the since link: its
history stamp, one Trial Balance call)."""

from __future__ import annotations

import asyncio

from sfsync.demo import run_demo
from sfsync.plugins import PluginRegistry
from sfsync_sage.connector import SageConnector


def test_the_demo_connects_links_and_syncs_sage(tmp_path):
    registry = PluginRegistry()
    registry.register(SageConnector(), "sage-accounting")
    rows = asyncio.run(run_demo(tmp_path / "demo", registry=registry, say=lambda *_: None))
    assert [(r.connector, r.mode, r.status) for r in rows] == [
        ("sage-accounting", "replace", "ok"), ("sage-accounting", "since", "ok")]
    assert all(r.balanced and r.lines > 0 and r.fetched_second == 0 for r in rows)
    assert [r.requests_second for r in rows] == [3, 4]
