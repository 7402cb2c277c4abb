"""sfsync-quickbooks: the sfsync connector for QuickBooks.

The connector object lives in :mod:`sfsync_quickbooks.connector` and is found through
the ``sfsync`` entry point ``quickbooks``; the offline stand-in of the
package's API is :mod:`sfsync_quickbooks.sandbox`.
"""

__version__ = "0.1.0"
