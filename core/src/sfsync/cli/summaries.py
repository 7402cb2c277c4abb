"""The one-line summary of each built-in command, for ``sfsync --help`` and shell completion.

The root group lists its commands without importing them (each module brings the API's types,
rich or asyncio with it): a command not yet imported is listed by its summary here. These are the
first sentences of the commands' own docstrings; ``core/tests/test_cli_summaries.py`` fails when one
drifts from its command, and prints the line to put here.
"""

from __future__ import annotations

__all__ = ["SUMMARIES"]

SUMMARIES: dict[str, str] = {
    "check": "Check that an existing connection's credentials still work (exit 3 when refused).",
    "companies": "Search the companies a connection can see, by name or code.",
    "connect": "Connect a package at firm level, then list what the connection can see.",
    "connections": "The firm's connections (its Syncs page), with who created them and what waits for them.",
    "demo": "Run every installed connector against its sandbox, offline, and print a summary.",
    "disconnect": "Remove a connection.",
    "dossier": "The firm's dossiers.",
    "firm": "Firms (each name once per store).",
    "import": (
        "Load an export (XAF, SAF-T, a balance or ledger in CSV/Excel) into a dossier that has no "
        "sync; other years stay."
    ),
    "link": (
        "Link a dossier (created if new, and only if the link succeeds) to a company, then start "
        "its first sync."
    ),
    "plugins": "Installed plugins: connectors, auth, level, capabilities, and broken plugins.",
    "reconnect": (
        "Re-consent a connection in place: log in again (OAuth2), re-enter the credentials (a form:"
        " the secrets are asked again) or an agent's new token."
    ),
    "runs": (
        "Run history, newest first (a dossier's, or the firm's): outcome, counts, requests, waits, "
        "warnings, error and duration."
    ),
    "sandbox": "The packages' offline sandboxes.",
    "secret-key": "Print a new key for SFSYNC_SECRET_KEY.",
    "show": (
        "The synced figures, with totals that show debits equal credits (or, with --details, the "
        "company's administrative data)."
    ),
    "spec": (
        "Print what connecting CONNECTOR asks for, as JSON Schema: each field, its type and "
        "description, required ones, and secrets marked ``writeOnly``/``airbyte_secret``."
    ),
    "status": "Every dossier: connector, company, what it syncs, last run, outcome and why, next due.",
    "support": "What the host's support staff do: set up support-level connections (Octopus, AFAS…).",
    "sync": "Sync a dossier now, the due ones, or all; exits 1 when a dossier failed.",
    "unlink": "Stop syncing a dossier (back to manual import); what was synced stays.",
    "user": "Users of the firm.",
    "web": "Serve the reference host (pages for firms, support staff and their dossiers).",
}
"""Command name: the first sentence of its help, which click shortens to the terminal's width."""
