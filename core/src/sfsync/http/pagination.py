"""Helpers for paging through an API without looping forever."""

from __future__ import annotations

from sfsync.errors import MalformedResponse

__all__ = ["PageLoopError", "check_next_token"]


class PageLoopError(MalformedResponse):
    """The package returned the same next-page token twice: following it would loop forever."""


def check_next_token(previous: str | None, following: str | None, *, seen: set[str]) -> None:
    """Refuse a next-page token equal to the previous one or to any seen before in this stream."""
    if following is None:
        return
    if following == previous or following in seen:
        raise PageLoopError(f"the package sent the same next-page link twice ({following[:80]!r})")
    seen.add(following)
