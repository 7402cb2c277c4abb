"""``sfsync demo`` includes the three connectors through the registry: connected through Entra's
sign-in page and the forms of BoCount and the service-to-service app, linked in both modes, synced twice, the second time for the
requests an unchanged night costs (plus the since link's history stamp)."""

from __future__ import annotations

import asyncio

from sfsync.demo import run_demo
from sfsync.plugins import PluginRegistry
from sfsync_businesscentral.connector import (
    BoCountConnector,
    BusinessCentralAppConnector,
    BusinessCentralConnector,
)


def test_the_demo_connects_links_and_syncs_both(tmp_path):
    registry = PluginRegistry()
    registry.register(BusinessCentralConnector(), "businesscentral")
    registry.register(BoCountConnector(), "bocount")
    registry.register(BusinessCentralAppConnector(), "businesscentral-s2s")  # shares Business Central's sandbox
    rows = asyncio.run(run_demo(tmp_path / "demo", registry=registry, say=lambda *_: None))
    assert sorted((r.connector, r.mode, r.status) for r in rows) == [
        ("bocount", "replace", "ok"), ("bocount", "since", "ok"),
        ("businesscentral", "replace", "ok"), ("businesscentral", "since", "ok"),
        ("businesscentral-s2s", "replace", "ok"), ("businesscentral-s2s", "since", "ok")]
    assert all(r.balanced and r.lines > 0 and r.fetched_second == 0 for r in rows)
    # A second sync right after the first: service to service uses the token the first one kept.
    nights = {(r.connector, r.mode): r.requests_second for r in rows}
    assert nights == {("businesscentral", "replace"): 4, ("businesscentral", "since"): 5,
                      ("bocount", "replace"): 4, ("bocount", "since"): 5,
                      ("businesscentral-s2s", "replace"): 4, ("businesscentral-s2s", "since"): 5}
