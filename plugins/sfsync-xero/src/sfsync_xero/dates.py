"""Xero's date formats: ``/Date(1539993600000+0000)/`` in the Accounting API, ISO without offset
in the Identity API, and the ``If-Modified-Since`` header (UTC, to the second)."""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import re

from sfsync.errors import MalformedResponse

_MSDATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def parse_msdate(value: str) -> dt.datetime:
    """A ``/Date(ms[+hhmm])/`` stamp as an aware UTC datetime (the offset is ignored, as Xero's
    epoch is already UTC; negative epochs are pre-1970 dates)."""
    match = _MSDATE.match(value or "")
    if match is None:
        raise MalformedResponse(f"Xero sent a date that is not /Date(ms)/: {value[:40]!r}")
    return EPOCH + dt.timedelta(milliseconds=int(match.group(1)))


@functools.lru_cache(maxsize=4096)
def parse_msdate_day(value: str) -> dt.date:
    """A date-only field (``JournalDate``): midnight UTC of that calendar day (cached: a page of
    journals holds few distinct days)."""
    return parse_msdate(value).date()


def format_msdate(value: dt.datetime | dt.date, *, offset: bool = True) -> str:
    """The ``/Date(ms+0000)/`` form (``offset=False``: ``/Date(ms)/`` as on envelopes)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    ms = (value - EPOCH) // dt.timedelta(milliseconds=1)
    return f"/Date({ms}+0000)/" if offset else f"/Date({ms})/"


def format_if_modified_since(value: dt.datetime) -> str:
    """``yyyy-MM-ddTHH:mm:ss`` in UTC, as Xero documents the header."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_if_modified_since(value: str) -> dt.datetime:
    """Read the header as Xero does: an ISO timestamp (without an offset it is UTC), or the
    standard HTTP-date (``Fri, 19 Sep 2025 09:34:00 GMT``) that HTTP clients send for this header."""
    text = value.strip()
    if text[:1].isalpha():  # an HTTP-date starts with the day's name; ISO with the year
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not an HTTP-date: {text[:40]!r}") from exc
    else:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def format_identity_stamp(value: dt.datetime) -> str:
    """``2026-04-20T11:47:10.3365440``: the Identity API's ISO form, no offset, 7 digits."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"
