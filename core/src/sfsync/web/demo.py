"""``sfsync demo --web``: the demo's firm, dossiers and figures, served by the host so a newcomer
can click through every flow against the offline sandboxes.

It runs the ordinary demo on the host's own :class:`~sfsync.api.Sfsync` (every package connected
through its real flow, dossiers linked in both modes and synced), then gives the demo's admin a
password and adds a member beside it; the demo's support user (who set up the support-level
packages) gets one too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sfsync.demo import DemoRow, run_demo
from sfsync.web.host import Host

__all__ = ["DEMO_PASSWORD", "DemoPeople", "seed_demo"]

DEMO_PASSWORD = "demo-password"
"""Every demo person's password (printed by ``sfsync demo --web``)."""


@dataclass(frozen=True)
class DemoPeople:
    """Who can sign in to the demo."""

    admin: str = "admin@demo.test"
    member: str = "member@demo.test"
    support: str = "support@demo.test"


async def seed_demo(host: Host, folder: Path, *, say: object = print) -> tuple[DemoPeople, list[DemoRow]]:
    """Fill ``host`` with the demo's data (``folder`` holds the demo's scratch files)."""
    rows = await run_demo(folder, app=host.app, sandboxes=host.sandboxes, say=say)
    people = DemoPeople()
    app = host.app
    firm = app.store.list_firms()[0]
    admin = app.store.find_user(firm.id, people.admin)
    assert admin is not None
    member = app.add_colleague(admin, people.member, "member")
    # The demo connects support-level packages (Octopus…) as this support user already.
    staff = app.store.find_support_user(people.support) or app.add_support_user(people.support)
    for user in (admin, member, staff):
        host.passwords.set_password(user.email, user.id, DEMO_PASSWORD)
    return people, rows
