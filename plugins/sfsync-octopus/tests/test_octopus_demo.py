"""``sfsync demo`` includes Octopus: connected by support staff (a support-level package), linked
in both modes, synced twice; the second night reads no line and costs the declared requests."""

from __future__ import annotations

import asyncio

from sfsync.demo import run_demo
from sfsync.plugins import PluginRegistry
from sfsync_octopus.connector import OctopusConnector


def test_the_demo_connects_links_and_syncs_octopus(tmp_path):
    registry = PluginRegistry()
    registry.register(OctopusConnector(), "octopus")
    rows = asyncio.run(run_demo(tmp_path / "demo", registry=registry, say=lambda *_: None))
    assert [(r.connector, r.mode, r.status) for r in rows] == [("octopus", "replace", "ok"), ("octopus", "since", "ok")], rows
    assert all(r.balanced and r.lines > 0 and r.fetched_second == 0 for r in rows)
    # login, dossier token, bookyears, chart, one look per open bookyear; the since link adds its
    # history stamp (one modified-amounts call) and skips the closed years before its date.
    assert [r.requests_second for r in rows] == [6, 7]
