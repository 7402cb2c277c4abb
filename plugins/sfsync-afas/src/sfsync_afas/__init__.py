"""sfsync-afas: the sfsync connector for AFAS Profit.

The connector object lives in :mod:`sfsync_afas.connector` and is found through
the ``sfsync`` entry point ``afas``; the offline stand-in of the
package's API is :mod:`sfsync_afas.sandbox`.
"""

__version__ = "0.1.0"
