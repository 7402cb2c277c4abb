"""sfsync-adminpulse: the sfsync connector for AdminPulse.

The connector object lives in :mod:`sfsync_adminpulse.connector` and is found through
the ``sfsync`` entry point ``adminpulse``; the offline stand-in of the
package's API is :mod:`sfsync_adminpulse.sandbox`.
"""

__version__ = "0.1.0"
