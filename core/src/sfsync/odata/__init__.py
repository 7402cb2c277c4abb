"""A small OData v4 client toolkit that every OData package shares (Business Central, BoCount…).

- :mod:`sfsync.odata.query`: system query options (``$filter``, ``$select``, ``$expand``,
  ``$orderby``, ``$top``) and ``$filter`` literals written as OData v4 ABNF writes them
  (strings quoted with ``'`` doubled inside, dates and date-times bare, GUIDs bare);
- :mod:`sfsync.odata.paging`: server-driven paging, following ``@odata.nextLink`` with
  ``Prefer: odata.maxpagesize`` and refusing a link that loops or leaves the service;
- :mod:`sfsync.odata.errors`: the ``{"error": {"code", "message"}}`` body of a refusal.

The server side, for sandboxes, is :mod:`sfsync.sandbox.odata`.
"""

from __future__ import annotations

from sfsync.odata.errors import ODataErrorBody, odata_error
from sfsync.odata.paging import ODataPage, max_page_size_header, read_collection
from sfsync.odata.query import ODataQuery, filter_and, literal

__all__ = [
    "ODataErrorBody",
    "ODataPage",
    "ODataQuery",
    "filter_and",
    "literal",
    "max_page_size_header",
    "odata_error",
    "read_collection",
]
