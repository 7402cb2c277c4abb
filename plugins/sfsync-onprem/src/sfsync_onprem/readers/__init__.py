"""Readers of on-premise exports, normalised into the core's models.

:func:`read_export` is what ``sfsync import <dossier> FILE`` uses (through the
``sfsync_read_export`` hook); the sync service uses the same sources through
:mod:`sfsync_onprem.folder`.
"""

from __future__ import annotations

from pathlib import Path

from sfsync.readers import ReadResult

from sfsync_onprem.readers.base import Source, Summary, UnreadableFile, UnsupportedStorage
from sfsync_onprem.readers.saft import SaftSource, is_saft
from sfsync_onprem.readers.tabular import TABULAR_SUFFIXES, TabularSource, load_profile
from sfsync_onprem.readers.winbooks import WinbooksSource, is_winbooks
from sfsync_onprem.readers.xaf import XafSource, xaf_version
from sfsync_onprem.readers.xmlsafe import root_of

__all__ = ["Source", "Summary", "UnreadableFile", "UnsupportedStorage", "read_export", "source_for"]


def source_for(path: Path) -> Source | None:
    """The reader for one file, or ``None`` when it is not an export this plugin reads."""
    suffix = path.suffix.lower()
    if suffix == ".xfc":
        raise UnreadableFile(f"{path.name} is an encoded auditfile (.xfc); export the readable .xaf")
    if suffix in (".xaf", ".xml"):
        root = root_of(path)
        if root is None:
            if suffix == ".xaf":
                raise UnreadableFile(f"{path.name} is not XML (or is damaged at its start)")
            return None
        if root[1] == "auditfile" and (xaf_version(root[0]) or not root[0]):
            return XafSource(path, root[0])
        if is_saft(*root):
            return SaftSource(path, root[0])
        return None
    if suffix in TABULAR_SUFFIXES:
        return TabularSource(path, load_profile(path.parent))
    if suffix == ".dbf" and is_winbooks(path.parent):
        return WinbooksSource(path.parent)
    return None


def read_export(path: Path) -> ReadResult | None:
    """Read an export file for a manual import (``None``: not a file this plugin reads)."""
    source = source_for(Path(path))
    if source is None:
        return None
    summary = source.summarize()
    if summary.kind == "subledger":
        raise UnsupportedStorage(
            f"{Path(path).name} is a {summary.format}, not a general ledger or trial balance; "
            "import the general trial balance (or an XAF) instead"
        )
    return ReadResult(
        format=summary.format,
        company=summary.company,
        fiscal_years=summary.fiscal_years,
        accounts=summary.accounts,
        ledger=source.batches(summary),  # validated batches: an import writes each whole
        trial_balance=summary.trial_balance if summary.kind == "balance" else [],
        opening_balances=summary.opening_balances,
        warnings=list(summary.warnings),
        covers=summary.covers,
    )
