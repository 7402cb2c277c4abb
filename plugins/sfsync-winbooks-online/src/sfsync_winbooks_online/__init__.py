"""sfsync-winbooks-online: the sfsync connector for WinBooks Online.

The connector object lives in :mod:`sfsync_winbooks_online.connector` and is found through
the ``sfsync`` entry point ``winbooks-online``; the offline stand-in of the
package's API is :mod:`sfsync_winbooks_online.sandbox`.
"""

__version__ = "0.1.0"
