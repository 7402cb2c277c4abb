"""A small dBase III writer, for Winbooks test fixtures (no public Winbooks DBF exists)."""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DbfField:
    name: str
    type: str  # C, N, D, L
    length: int
    decimals: int = 0


def write_dbf(path: Path, fields: list[DbfField], records: Iterable[Mapping[str, Any]],
              *, encoding: str = "cp1252", today: dt.date | None = None) -> int:
    """Write ``records`` to a dBase III file (code page byte 0x03 = Windows ANSI)."""
    rows = list(records)
    record_len = 1 + sum(f.length for f in fields)
    header_len = 32 + 32 * len(fields) + 1
    day = today or dt.date(2017, 12, 31)
    out = bytearray()
    out += struct.pack("<BBBBIHH", 0x03, day.year - 1900, day.month, day.day, len(rows), header_len, record_len)
    out += b"\x00" * 17 + b"\x03" + b"\x00" * 2  # reserved, language driver 0x03 (cp1252)
    for f in fields:
        name = f.name.encode("ascii")[:10].ljust(11, b"\x00")
        out += name + f.type.encode("ascii") + b"\x00" * 4 + bytes([f.length, f.decimals]) + b"\x00" * 14
    out += b"\x0d"
    for row in rows:
        out += b" "
        for f in fields:
            out += _encode(f, row.get(f.name), encoding)
    out += b"\x1a"
    path.write_bytes(bytes(out))
    return len(rows)


def _encode(f: DbfField, value: Any, encoding: str) -> bytes:
    if f.type == "C":
        raw = ("" if value is None else str(value)).encode(encoding, errors="replace")[: f.length]
        return raw.ljust(f.length, b" ")
    if f.type == "N":
        if value is None or value == "":
            return b" " * f.length
        if f.decimals:
            text = f"{Decimal(value):.{f.decimals}f}"
        else:
            text = str(int(value))
        if len(text) > f.length:
            raise ValueError(f"{value} does not fit field {f.name} N({f.length},{f.decimals})")
        return text.rjust(f.length).encode("ascii")
    if f.type == "D":
        return (value.strftime("%Y%m%d") if value else "").ljust(8).encode("ascii")
    if f.type == "L":
        return b"T" if value else b"F"
    raise ValueError(f"unsupported DBF field type {f.type}")
