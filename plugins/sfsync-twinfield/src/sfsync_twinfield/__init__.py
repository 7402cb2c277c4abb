"""sfsync-twinfield: the sfsync connector for Twinfield.

The connector object lives in :mod:`sfsync_twinfield.connector` and is found through
the ``sfsync`` entry point ``twinfield``; the offline stand-in of the
package's API is :mod:`sfsync_twinfield.sandbox`.
"""

__version__ = "0.1.0"
