"""Dossier folders under a root: safe sync references, detection of what each folder holds.

A sync reference is a plain folder name directly under the root. Anything else — ``..``, an
absolute path, a path separator, a NUL byte, a hidden name, a symlink that leads outside the root —
is refused with :class:`~sfsync.errors.InvalidSyncReference` before the file system is touched.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sfsync.errors import InvalidSyncReference, NotFound
from sfsync.models import Account, Company, FiscalYear, TrialBalanceLine

from sfsync_onprem.readers.base import Source, Summary, UnreadableFile, fmt, unsupported
from sfsync_onprem.readers.saft import SaftSource, is_saft
from sfsync_onprem.readers.tabular import (
    PROFILE_FILE,
    TABULAR_SUFFIXES,
    TabularSource,
    load_profile,
)
from sfsync_onprem.readers.winbooks import WinbooksSource, find_tables, is_winbooks
from sfsync_onprem.readers.xaf import XafSource, xaf_version
from sfsync_onprem.readers.xmlsafe import root_of

IGNORED = {PROFILE_FILE.lower(), "readme.md", "readme.txt", "thumbs.db", "desktop.ini"}


def check_reference(ref: str) -> None:
    """Refuse anything that is not a plain folder name (no file system access)."""
    reason = None
    if not ref or not ref.strip():
        reason = "it is empty"
    elif "\x00" in ref:
        reason = "it contains a NUL byte"
    elif ref in (".", ".."):
        reason = "it names the root or its parent"
    elif "/" in ref or "\\" in ref:
        reason = "it contains a path separator"
    elif os.path.isabs(ref) or (len(ref) > 1 and ref[1] == ":"):
        reason = "it is an absolute path"
    elif ref.startswith(".") or ref.startswith("~"):
        reason = "hidden and home-relative names are not dossier folders"
    elif len(ref.encode("utf-8", "surrogateescape")) > 255:
        # File systems count bytes, not characters: 200 'é' are 400 bytes, too long for a name.
        reason = "it is too long (a folder name has at most 255 bytes)"
    if reason:
        shown = ref.replace("\x00", "\\0")[:80]
        raise InvalidSyncReference(
            f"sync reference {shown!r} is refused: {reason}; type the name of the dossier's folder "
            "as it appears directly under the sync service's root"
        )


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        return False


def resolve(root: Path, ref: str) -> Path:
    """The folder of ``ref`` under ``root``, or an error that says why not."""
    check_reference(ref)
    candidate = root / ref
    try:
        exists = candidate.exists()
    except OSError as exc:  # whatever else the file system refuses in a name: the reference's fault
        raise InvalidSyncReference(f"sync reference {ref[:80]!r} is refused: {exc.strerror or exc}") from None
    # Checked for every folder, not only symlinks: Windows junctions are not symlinks to Python.
    if exists and not _inside(candidate, root):
        raise InvalidSyncReference(
            f"sync reference {ref!r} is refused: the folder is a link that leads outside the root"
        )
    if not candidate.is_dir():
        raise NotFound(f"no dossier folder {ref!r} under the sync service's root")
    return candidate


def list_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise NotFound(f"the sync service's root {root.name!r} is not a folder")
    out = []
    for child in sorted(root.iterdir(), key=lambda p: p.name.lower()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        if not _inside(child, root):
            continue
        out.append(child)
    return out


@dataclass
class FolderScan:
    sources: list[Source] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def scan(folder: Path, root: Path, *, include_closed: bool = False) -> FolderScan:
    """Classify what a dossier folder holds (cheap: roots of XML files, tables' names)."""
    result = FolderScan()
    tables: set[Path] = set()
    if is_winbooks(folder):
        result.sources.append(WinbooksSource(folder, include_closed=include_closed))
        tables = set(find_tables(folder).values())
    profile = None
    for path in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        name = path.name
        if name.startswith(".") or name.lower() in IGNORED or path in tables:
            continue
        if not _inside(path, root):
            result.ignored.append(f"{name} (a link leading outside the root)")
            continue
        if not path.is_file():
            continue
        suffix = path.suffix.lower()
        if suffix == ".xfc":
            result.errors.append(f"{name} is an encoded auditfile (.xfc); export the readable .xaf")
        elif suffix in (".xaf", ".xml"):
            try:
                root_tag = root_of(path)
            except UnreadableFile as exc:
                result.errors.append(exc.message)
                continue
            if root_tag is None:
                result.errors.append(f"{name} is not XML (or is damaged at its start)")
            elif root_tag[1] == "auditfile" and (xaf_version(root_tag[0]) or not root_tag[0]):
                result.sources.append(XafSource(path, root_tag[0]))
            elif is_saft(*root_tag):
                result.sources.append(SaftSource(path, root_tag[0]))
            else:
                result.ignored.append(f"{name} (XML root {root_tag[1]!r} is not an auditfile)")
        elif suffix in TABULAR_SUFFIXES:
            if profile is None:
                profile = load_profile(folder) or {}
            result.sources.append(TabularSource(path, profile or None))
        else:
            result.ignored.append(name)
    return result


_CACHE: dict[tuple[str, str], tuple[str, Summary]] = {}
_LOCK = threading.Lock()


def cached_summary(source: Source) -> Summary | None:
    """The summary if this exact version of the source was read already (no parsing)."""
    key = (str(source.paths[0].parent), source.name)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit and hit[0] == source.fingerprint():
        return hit[1]
    return None


def peek(folder: Path, root: Path, *, include_closed: bool = False, package: str = "") -> Company:
    """What a folder holds, cheaply (for listing many folders): formats and a company name,
    from the start of each file only. Unreadable files show up when the folder is synced."""
    found = scan(folder, root, include_closed=include_closed)
    if not found.sources:
        if found.errors:
            raise UnreadableFile(f"{folder.name}: " + "; ".join(found.errors))
        raise unsupported(package or _guess_package(folder) or "this package")
    formats: list[str] = []
    name = ""
    for src in found.sources:
        summary = cached_summary(src)
        if summary is not None:
            formats.append(summary.format)
            name = name or (summary.company.name if summary.company else "")
            continue
        fmt_, title = src.peek()
        formats.append(fmt_)
        name = name or title
    extra = {"format": ", ".join(dict.fromkeys(formats))}
    return Company(ref=folder.name, code=folder.name, name=name or folder.name, extra=extra)


def summary_of(source: Source) -> tuple[str, Summary]:
    """The source's summary, cached on its fingerprint (an unchanged file is read once)."""
    fp = source.fingerprint()
    key = (str(source.paths[0].parent), source.name)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit and hit[0] == fp:
        return hit
    summary = source.summarize()
    with _LOCK:
        _CACHE[key] = (fp, summary)
    return fp, summary


@dataclass
class Dossier:
    """One folder, read: its company, years, chart, sources and warnings."""

    ref: str
    folder: Path
    sources: list[tuple[Source, str, Summary]]
    ignored: list[str]
    warnings: list[str]

    @property
    def formats(self) -> str:
        return ", ".join(dict.fromkeys(s.format for _src, _fp, s in self.sources))

    def company(self) -> Company:
        found = next((s.company for _src, _fp, s in self.sources if s.company and s.company.name), None)
        extra = {"format": self.formats}
        if found is None:
            return Company(ref=self.ref, code=self.ref, name=self.ref, extra=extra)
        return Company(ref=self.ref, code=self.ref, name=found.name or self.ref, vat_number=found.vat_number,
                       currency=found.currency, country=found.country, extra=extra)

    def fiscal_years(self) -> list[FiscalYear]:
        years: list[FiscalYear] = []
        for _src, _fp, summary in self.sources:
            for fy in summary.fiscal_years:
                same = next((y for y in years if y.start == fy.start and y.end == fy.end), None)
                if same is not None:
                    continue
                clash = next((y for y in years if y.start <= fy.end and fy.start <= y.end), None)
                if clash is not None:
                    self.warnings.append(f"{self.ref}: fiscal year {fy.label} ({fy.start} – {fy.end}) "
                                         f"overlaps {clash.label} ({clash.start} – {clash.end}); ignored")
                    continue
                years.append(fy)
        return sorted(years, key=lambda y: y.start)

    def accounts(self) -> list[Account]:
        chart: dict[str, Account] = {}
        for _src, _fp, summary in self.sources:
            if summary.kind == "subledger":
                continue
            for acc in summary.accounts:
                known = chart.get(acc.code)
                if known is None or (known.name.startswith("(not in the chart") and acc.name):
                    chart[acc.code] = acc
        return sorted(chart.values(), key=lambda a: a.code)

    def trial_balance(self) -> list[TrialBalanceLine]:
        derived: dict[tuple[str, object], TrialBalanceLine] = {}
        for _src, _fp, summary in self.sources:
            if summary.kind == "ledger":
                for line in summary.trial_balance:
                    derived[(line.account, line.period_end)] = line
        for _src, _fp, summary in self.sources:
            if summary.kind == "balance":
                for line in summary.trial_balance:
                    derived.setdefault((line.account, line.period_end), line)
        return sorted(derived.values(), key=lambda t: (t.period_end, t.account))

    def fingerprint(self) -> str:
        return ",".join(f"{src.name}={fp}" for src, fp, _s in self.sources)


def open_dossier(root: Path, ref: str, *, include_closed: bool = False, package: str = "") -> Dossier:
    folder = resolve(root, ref)
    found = scan(folder, root, include_closed=include_closed)
    if found.errors and not found.sources:
        raise UnreadableFile(f"{ref}: " + "; ".join(found.errors))
    if not found.sources:
        raise unsupported(package or _guess_package(folder) or "this package").with_context(company=ref)
    sources = []
    for src in found.sources:
        fp, summary = summary_of(src)
        sources.append((src, fp, summary))
    warnings = [w for _src, _fp, s in sources for w in s.warnings]
    warnings += found.errors
    warnings += [f"{ref}: ignored {name}" for name in found.ignored[:10]]
    dossier = Dossier(ref, folder, sources, found.ignored, warnings)
    _tie_out(dossier)
    _overlaps(dossier)
    return dossier


def _overlaps(dossier: Dossier) -> None:
    """Two ledger files over the same dates (an old export left beside a new one): the later one
    in name order replaces the other's lines; say so, a person should remove the stale file."""
    ranges = [(src.name, s.clear_range) for src, _fp, s in dossier.sources if s.kind == "ledger" and s.clear_range]
    for i, (name_a, range_a) in enumerate(ranges):
        for name_b, range_b in ranges[i + 1 :]:
            assert range_a is not None and range_b is not None
            if range_a[0] <= range_b[1] and range_b[0] <= range_a[1]:
                dossier.warnings.append(
                    f"{dossier.ref}: {name_a} and {name_b} cover the same dates; {name_b} replaces the "
                    f"other's lines there; remove the file that is out of date"
                )


def _tie_out(dossier: Dossier) -> None:
    """Subledger balances must equal their collective accounts (Winbooks 400000 / 440000)."""
    balances = {t.account: t.closing for t in dossier.trial_balance()}
    for _src, _fp, summary in dossier.sources:
        if summary.kind != "subledger" or not summary.subledger:
            continue
        total = sum((b for _r, _n, b in summary.subledger), start=type(summary.total_debit)(0))
        collective = "440000" if "supplier" in summary.format else "400000"
        if collective in balances and balances[collective] != total:
            dossier.warnings.append(
                f"{dossier.ref}: the {summary.format} sums to {fmt(total)} but account {collective} "
                f"holds {fmt(balances[collective])}"
            )


def _guess_package(folder: Path) -> str:
    names = {p.name.lower() for p in folder.iterdir()}
    suffixes = {p.suffix.lower() for p in folder.iterdir()}
    if "wings.ini" in names:
        return "Wings"
    if ".dta" in suffixes:
        return "Sage 50"
    if ".dbf" in suffixes:
        return "a dBase-based package (not a complete Winbooks dossier)"
    return ""
