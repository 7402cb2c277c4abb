"""``sfsync demo`` includes AFAS: set up by the demo's support staff for the firm (AFAS is
support-level), linked in both modes, synced twice, the second time for three requests (the
fiscal years, the chart and the changed-entry-date gate; four on the since link: its history
stamp)."""

from __future__ import annotations

import asyncio

from sfsync.demo import run_demo
from sfsync.plugins import PluginRegistry
from sfsync_afas.connector import AfasConnector


def test_the_demo_sets_up_links_and_syncs_afas(tmp_path):
    registry = PluginRegistry()
    registry.register(AfasConnector(), "afas")
    rows = asyncio.run(run_demo(tmp_path / "demo", registry=registry, say=lambda *_: None))
    assert [(r.connector, r.mode, r.status) for r in rows] == [("afas", "replace", "ok"), ("afas", "since", "ok")], rows
    assert all(r.balanced and r.lines > 0 and r.fetched_second == 0 for r in rows)
    assert [r.requests_second for r in rows] == [3, 4]
