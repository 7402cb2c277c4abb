"""Paging as packages page: offset/limit, page numbers, ``$skiptoken`` next links and cursors.

Each helper takes the whole ordered result and the request's paging parameters and returns a
:class:`Page`: the items to send and what the client is given to ask for the next page (``None``
on the last). Parameters a package would refuse raise :class:`PagingError`, which the sandbox
answers with its package's 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "Page",
    "PagingError",
    "cursor_page",
    "offset_page",
    "page_number",
    "skiptoken_page",
    "with_query",
]

T = TypeVar("T")


class PagingError(ValueError):
    """A paging parameter the package refuses (not a number, out of range, a forged cursor)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: its items, what asks for the next (an offset, page number, token or URL), and
    the total where the package says it."""

    items: list[T]
    next: str | None
    total: int

    @property
    def more(self) -> bool:
        """Whether a next page exists."""
        return self.next is not None


def _whole(name: str, raw: str | int | None, default: int, low: int, high: int | None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PagingError(f"{name} must be a whole number, not {raw!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise PagingError(f"{name} must be {bound}, not {value}")
    return value


def offset_page(
    items: Sequence[T], *, offset: str | int | None, limit: str | int | None, default_limit: int = 100,
    max_limit: int | None = None, offset_name: str = "offset", limit_name: str = "limit",
) -> Page[T]:
    """``items[offset:offset+limit]``; ``next`` is the next offset."""
    start = _whole(offset_name, offset, 0, 0, None)
    size = _whole(limit_name, limit, default_limit, 1, max_limit)
    chunk = list(items[start : start + size])
    following = start + size
    return Page(chunk, str(following) if following < len(items) else None, len(items))


def page_number(
    items: Sequence[T], *, page: str | int | None, size: str | int | None = None, default_size: int = 100,
    max_size: int | None = None, first: int = 1, page_name: str = "page", size_name: str = "pageSize",
) -> Page[T]:
    """Page ``page`` (counted from ``first``) of ``size`` items; ``next`` is the next number. A page
    past the end is empty, as most packages answer it."""
    number = _whole(page_name, page, first, first, None)
    per = _whole(size_name, size, default_size, 1, max_size)
    start = (number - first) * per
    chunk = list(items[start : start + per])
    return Page(chunk, str(number + 1) if start + per < len(items) else None, len(items))


def with_query(url: str, **params: str | None) -> str:
    """``url`` with query parameters set (``None`` removes one), others kept in order."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query, safe="$'(),:")))


def skiptoken_page(
    items: Sequence[T], *, key: Callable[[T], str], skiptoken: str | None, size: int, url: str,
    token_name: str = "$skiptoken", quote: bool = False,
) -> Page[T]:
    """OData server-driven paging: the items after the one whose ``key`` is ``skiptoken`` (items
    ordered by key); ``next`` is ``url`` with ``$skiptoken`` set to the last item's key (quoted
    as ``'…'`` when ``quote``, as Exact writes guids)."""
    token = (skiptoken or "").strip()
    if quote and token:
        if not (token.startswith("'") and token.endswith("'")):
            raise PagingError(f"{token_name} must be quoted, not {token!r}")
        token = token[1:-1]
    rest = [item for item in items if not token or key(item) > token]
    chunk = rest[:size]
    if len(rest) <= size or not chunk:
        return Page(chunk, None, len(items))
    last = key(chunk[-1])
    return Page(chunk, with_query(url, **{token_name: f"'{last}'" if quote else last}), len(items))


_CURSOR_MARK = "after:"


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode((_CURSOR_MARK + value).encode()).rstrip(b"=").decode()


def _decode_cursor(cursor: str) -> str:
    try:
        text = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(_CURSOR_MARK):
        raise PagingError(f"the cursor {cursor!r} is not one this API gave")
    return text[len(_CURSOR_MARK) :]


def cursor_page(
    items: Sequence[T], *, key: Callable[[T], str], cursor: str | None, size: int,
) -> Page[T]:
    """Cursor paging: the items whose ``key`` sorts after the (opaque, base64url) cursor's; ``next``
    is the cursor of the page's last item. Items must be ordered by ``key``."""
    after = _decode_cursor(cursor) if cursor else None
    rest = [item for item in items if after is None or key(item) > after]
    chunk = rest[:size]
    more = len(rest) > size and bool(chunk)
    return Page(chunk, _encode_cursor(key(chunk[-1])) if more else None, len(items))
