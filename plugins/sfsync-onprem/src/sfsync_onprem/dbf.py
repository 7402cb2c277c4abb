"""dBase-family tables (``.DBF``): a small, strict, streaming reader, and a writer for test fixtures.

The reader (:class:`DbfTable`, :func:`read_dbf`) parses the 32-byte header (version byte, record
count, header length, record length), the 32-byte field descriptors up to the 0x0D terminator, then
streams the fixed-length records one at a time (the file is never loaded whole). Records flagged
deleted (``*``) are skipped; reading stops at the header's record count (a 0x1A end-of-file marker
may follow). Values:

* ``C`` text (cp1252 by default, undecodable bytes replaced, trailing spaces and NULs stripped);
* ``N``/``F`` an exact :class:`~decimal.Decimal` of the digits written (never a float), blank → ``None``;
* ``D`` ``YYYYMMDD`` → :class:`datetime.date`, blank or zeros → ``None``;
* ``L`` ``T/t/Y/y`` → ``True``, ``F/f/N/n`` → ``False``, ``?`` or blank → ``None``;
* ``I`` a 4-byte little-endian signed integer;
* ``M``/``G``/``B``/``P`` memo pointers → ``None`` (memo files are not read);
* any other type: the raw text.

Field names are upper-cased. Whatever is wrong with a file (too short, a damaged header, a record
that ends early, a value that is not what its field says) raises
:class:`~sfsync_onprem.readers.base.UnreadableFile` naming the file, the field and the record.

The writer (:func:`write_dbf`) writes dBase III tables; no public Winbooks DBF exists, so the
Winbooks fixtures are built with it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import struct
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from sfsync_onprem.readers.base import UnreadableFile

HEADER_SIZE = 32
DESCRIPTOR_SIZE = 32
END_OF_FIELDS = (0x0D, 0x0A)  # 0x0D per the format; a few writers put 0x0A
END_OF_FILE = 0x1A
LIVE, DELETED = 0x20, 0x2A
MEMO_TYPES = frozenset("MGBP")
# Version bytes of the dBase family (dBase II-7, FoxBASE, FoxPro, Visual FoxPro, HiPer-Six, SMT).
VERSIONS = frozenset({
    0x02, 0x03, 0x04, 0x05, 0x07, 0x30, 0x31, 0x32, 0x43, 0x63, 0x7B, 0x83, 0x87, 0x8B, 0x8E,
    0xB3, 0xCB, 0xE5, 0xF5, 0xFB,
})  # fmt: skip
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_BLANK_NUMBER = b" \x00"  # NULs fill blank FoxPro fields


@dataclass(frozen=True)
class DbfField:
    name: str
    type: str  # C, N, F, D, L, I, M, G, B, P, …
    length: int
    decimals: int = 0


@dataclass(frozen=True)
class DbfHeader:
    version: int
    record_count: int
    header_length: int
    record_length: int
    fields: tuple[DbfField, ...]


class _BadValue(Exception):
    """A field's bytes that are not what its type says (turned into UnreadableFile with context)."""


class DbfTable:
    """One ``.DBF`` table: the header is read (and checked) at once, records are streamed by ``iter``."""

    def __init__(self, path: Path | str, *, encoding: str = "cp1252") -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.encoding = encoding
        try:
            with open(self.path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                self.header = self._read_header(fh)
        except OSError as exc:
            raise UnreadableFile(f"{self.name} cannot be opened: {exc.strerror or exc}") from exc
        self.fields = self.header.fields
        self.field_names = [f.name for f in self.fields]
        self._check_size(size)

    def __len__(self) -> int:
        """The record count of the header (deleted records included)."""
        return self.header.record_count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.records()

    # --- header --------------------------------------------------------------------------------

    def _fail(self, what: str) -> UnreadableFile:
        return UnreadableFile(f"{self.name} is not a DBF table ({what})")

    def _damaged(self, what: str) -> UnreadableFile:
        return UnreadableFile(f"{self.name} has a damaged DBF header: {what}")

    def _read_header(self, fh: BinaryIO) -> DbfHeader:
        head = fh.read(HEADER_SIZE)
        if len(head) < HEADER_SIZE:
            raise self._fail(f"header too short: {len(head)} of {HEADER_SIZE} bytes")
        version = head[0]
        if version not in VERSIONS:
            raise self._fail(f"unknown version byte 0x{version:02X}")
        count, header_length, record_length = struct.unpack_from("<IHH", head, 4)
        if header_length < HEADER_SIZE + 1:
            raise self._damaged(f"header length {header_length} is shorter than a header")
        if record_length < 1:
            raise self._damaged("record length 0")
        rest = fh.read(header_length - HEADER_SIZE)
        if len(rest) < header_length - HEADER_SIZE:
            raise UnreadableFile(f"{self.name} is truncated: the header says {header_length:,} bytes, "
                                 f"the file holds {HEADER_SIZE + len(rest):,}")
        fields: list[DbfField] = []
        seen: set[str] = set()
        pos = 0
        while True:
            if pos >= len(rest):
                raise self._damaged(f"no 0x0D terminator after the field descriptors within the "
                                 f"{header_length}-byte header")
            if rest[pos] in END_OF_FIELDS:
                break
            raw = rest[pos : pos + DESCRIPTOR_SIZE]
            number = len(fields) + 1
            if len(raw) < DESCRIPTOR_SIZE:
                raise self._damaged(f"no 0x0D terminator after the field descriptors within the "
                                    f"{header_length}-byte header")
            name = raw[:11].split(b"\x00", 1)[0].decode("ascii", errors="replace").strip().upper()
            if not name or not name.isprintable():
                raise self._damaged(f"field descriptor {number} has no readable name ({raw[:11]!r})")
            if name in seen:
                raise self._damaged(f"field {name} is described twice")
            seen.add(name)
            ftype = chr(raw[11])
            length, decimals = raw[16], raw[17]
            if ftype == "C":  # text longer than 255: the decimal count is the high byte
                length, decimals = length | decimals << 8, 0
            if length == 0:
                raise self._damaged(f"field {name} has length 0")
            if ftype == "I" and length != 4:
                raise self._damaged(f"integer field {name} has length {length}, not 4")
            fields.append(DbfField(name, ftype, length, decimals))
            pos += DESCRIPTOR_SIZE
        if not fields:
            raise self._damaged("no field descriptors")
        total = 1 + sum(f.length for f in fields)
        if total != record_length:
            raise self._damaged(f"the header says records are {record_length} bytes, the fields add up "
                             f"to {total} with the deletion flag")
        return DbfHeader(version, count, header_length, record_length, tuple(fields))

    def _check_size(self, size: int) -> None:
        h = self.header
        need = h.header_length + h.record_count * h.record_length
        if size < need:
            complete = (size - h.header_length) // h.record_length
            raise UnreadableFile(f"{self.name} is truncated: record {complete + 1:,} of "
                                 f"{h.record_count:,} ends early")

    # --- records -------------------------------------------------------------------------------

    def _parsers(self) -> list[tuple[str, int, int, Callable[[bytes], Any]]]:
        out = []
        start = 1
        for f in self.fields:
            out.append((f.name, start, start + f.length, self._parser(f)))
            start += f.length
        return out

    def _parser(self, f: DbfField) -> Callable[[bytes], Any]:
        encoding = self.encoding
        if f.type == "C":
            return lambda data: data.rstrip(b" \x00").decode(encoding, errors="replace")
        if f.type in ("N", "F"):
            return _number
        if f.type == "D":
            return _date
        if f.type == "L":
            return _logical
        if f.type == "I":
            return lambda data: struct.unpack("<i", data)[0]
        if f.type in MEMO_TYPES:
            return lambda data: None
        return lambda data: data.rstrip(b" \x00").decode(encoding, errors="replace")

    def records(self) -> Iterator[dict[str, Any]]:
        """The live records, in file order, as ``{FIELD: value}``; opened and read as you iterate."""
        parsers = self._parsers()
        try:
            with open(self.path, "rb") as fh:
                yield from self._stream(fh, parsers)
        except OSError as exc:
            raise UnreadableFile(f"{self.name} cannot be read: {exc.strerror or exc}") from exc

    def _stream(self, fh: BinaryIO,
                parsers: list[tuple[str, int, int, Callable[[bytes], Any]]]) -> Iterator[dict[str, Any]]:
        h = self.header
        length = h.record_length
        fh.seek(h.header_length)
        for n in range(1, h.record_count + 1):
            data = fh.read(length)
            if len(data) < length:
                if data[:1] == bytes([END_OF_FILE]):
                    raise UnreadableFile(f"{self.name} is truncated: it ends (0x1A) at record {n:,} "
                                         f"of the {h.record_count:,} its header announces")
                raise UnreadableFile(f"{self.name} is truncated: record {n:,} of "
                                     f"{h.record_count:,} ends early")
            flag = data[0]
            if flag == DELETED:
                continue
            if flag != LIVE:
                if flag == END_OF_FILE:
                    raise UnreadableFile(f"{self.name} is truncated: it ends (0x1A) at record {n:,} "
                                         f"of the {h.record_count:,} its header announces")
                raise UnreadableFile(f"{self.name} is damaged: record {n:,} starts with 0x{flag:02X}, "
                                     "not a deletion flag (' ' or '*')")
            record: dict[str, Any] = {}
            for name, start, end, parse in parsers:
                try:
                    record[name] = parse(data[start:end])
                except _BadValue as exc:
                    raise UnreadableFile(f"{self.name}: field {name} of record {n:,}: {exc}") from None
            yield record


def read_dbf(path: Path | str, *, encoding: str = "cp1252") -> Iterator[dict[str, Any]]:
    """Stream the live records of a ``.DBF`` table (the header is checked before the first one)."""
    return DbfTable(path, encoding=encoding).records()


def _shown(data: bytes) -> str:
    return repr(data.decode("latin-1").strip())


def _number(data: bytes) -> Decimal | None:
    text = data.strip(_BLANK_NUMBER)
    if not text:
        return None
    if not text.strip(b"*"):
        # dBase fills a number too wide for its field with '*': the amount is gone, and reading
        # it as blank would lose money without a word.
        raise _BadValue(f"{_shown(data)} is a number too wide for its field (dBase wrote stars); "
                        "widen the field in the package and export again")
    try:
        raw = text.decode("ascii").replace(",", ".")
    except UnicodeDecodeError:
        raise _BadValue(f"{_shown(data)} is not a number") from None
    if not _NUMBER.fullmatch(raw):
        raise _BadValue(f"{_shown(data)} is not a number")
    try:
        return Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimal numbers
        raise _BadValue(f"{_shown(data)} is not a number") from None


def _date(data: bytes) -> dt.date | None:
    if not data.strip(b" 0\x00"):
        return None
    if len(data) != 8 or not data.isdigit():
        raise _BadValue(f"{_shown(data)} is not a date (YYYYMMDD)")
    try:
        return dt.date(int(data[:4]), int(data[4:6]), int(data[6:8]))
    except ValueError:
        raise _BadValue(f"{_shown(data)} is not a date (YYYYMMDD)") from None


def _logical(data: bytes) -> bool | None:
    value = data.strip(b" \x00")
    if value in (b"T", b"t", b"Y", b"y"):
        return True
    if value in (b"F", b"f", b"N", b"n"):
        return False
    if value in (b"", b"?"):
        return None
    raise _BadValue(f"{_shown(data)} is not a logical (T/F/Y/N/?)")


# --- writer (fixtures) -------------------------------------------------------------------------


def write_dbf(path: Path, fields: list[DbfField], records: Iterable[Mapping[str, Any]],
              *, encoding: str = "cp1252", today: dt.date | None = None,
              deleted: Collection[int] = ()) -> int:
    """Write ``records`` to a dBase III file (code page byte 0x03 = Windows ANSI).

    ``deleted`` holds the indexes of records to write flagged deleted (``*``). Types C, N, F, D,
    L, I and the memo types (written as blank pointers: there is no memo file) are supported.
    """
    rows = list(records)
    record_len = 1 + sum(f.length for f in fields)
    header_len = 32 + 32 * len(fields) + 1
    day = today or dt.date(2017, 12, 31)
    out = bytearray()
    out += struct.pack("<BBBBIHH", 0x03, day.year - 1900, day.month, day.day, len(rows), header_len, record_len)
    out += b"\x00" * 17 + b"\x03" + b"\x00" * 2  # reserved, language driver 0x03 (cp1252)
    for f in fields:
        name = f.name.encode("ascii")[:10].ljust(11, b"\x00")
        length, decimals = f.length, f.decimals
        if f.type == "C" and length > 255:  # the high byte of a long text's length
            length, decimals = length & 0xFF, length >> 8
        out += name + f.type.encode("ascii") + b"\x00" * 4 + bytes([length, decimals]) + b"\x00" * 14
    out += b"\x0d"
    for i, row in enumerate(rows):
        out += b"*" if i in deleted else b" "
        for f in fields:
            out += _encode(f, row.get(f.name), encoding)
    out += b"\x1a"
    path.write_bytes(bytes(out))
    return len(rows)


def _encode(f: DbfField, value: Any, encoding: str) -> bytes:
    if f.type == "C":
        raw = ("" if value is None else str(value)).encode(encoding, errors="replace")[: f.length]
        return raw.ljust(f.length, b" ")
    if f.type in ("N", "F"):
        if value is None or value == "":
            return b" " * f.length
        if f.decimals:
            text = f"{Decimal(value):.{f.decimals}f}"
        else:
            text = str(int(value))
        if len(text) > f.length:
            raise ValueError(f"{value} does not fit field {f.name} {f.type}({f.length},{f.decimals})")
        return text.rjust(f.length).encode("ascii")
    if f.type == "D":
        return (value.strftime("%Y%m%d") if value else "").ljust(8).encode("ascii")
    if f.type == "L":
        return b"?" if value is None else b"T" if value else b"F"
    if f.type == "I":
        return struct.pack("<i", int(value or 0))
    if f.type in MEMO_TYPES:
        return b" " * f.length
    raise ValueError(f"unsupported DBF field type {f.type}")
