"""sfsync-sage: the sfsync connector for Sage Accounting.

The connector object lives in :mod:`sfsync_sage.connector` and is found through
the ``sfsync`` entry point ``sage-accounting``; the offline stand-in of the
package's API is :mod:`sfsync_sage.sandbox`.
"""

__version__ = "0.1.0"
