"""``sfsync demo`` includes AdminPulse: connected with the office's key and linked for the master
data of a dossier that has its figures from another package (echo here; Exact in the workspace's
own test), both synced by the one run of that dossier."""

from __future__ import annotations

import asyncio

from sfsync.demo import run_demo
from sfsync.echo.connector import EchoConnector
from sfsync.plugins import PluginRegistry
from sfsync.store.sqlite import SQLiteStore
from sfsync_adminpulse.connector import AdminPulseConnector


def test_the_demo_links_adminpulse_beside_a_figures_package(tmp_path):
    registry = PluginRegistry()
    registry.register(EchoConnector(), "echo")
    registry.register(AdminPulseConnector(), "adminpulse")
    rows = asyncio.run(run_demo(tmp_path / "demo", registry=registry, say=lambda *_: None))
    assert [(r.dossier, r.connector, r.mode, r.status) for r in rows] == [
        ("echo-1", "echo", "replace", "ok"), ("echo-2", "echo", "since", "ok"),
        ("echo-1", "adminpulse", "details beside echo", "ok")]
    assert rows[0].lines > 0 and rows[0].balanced
    store = SQLiteStore(tmp_path / "demo" / "sfsync.sqlite3")
    try:
        dossier = store.find_dossier(store.list_firms()[0].id, "echo-1")
        kept = store.company_details(dossier.id)
        assert kept is not None and kept.details.name == "Bakkerij Peeters"
        assert store.get_connection(kept.source).connector == "adminpulse"
    finally:
        store.close()


def test_adminpulse_alone_gets_a_dossier_of_its_own(tmp_path):
    registry = PluginRegistry()
    registry.register(AdminPulseConnector(), "adminpulse")
    rows = asyncio.run(run_demo(tmp_path / "demo", registry=registry, say=lambda *_: None))
    assert [(r.dossier, r.connector, r.mode, r.status) for r in rows] == [("adminpulse-1", "adminpulse", "details", "ok")]
