"""sfsync-octopus: the sfsync connector for Octopus.

The connector object lives in :mod:`sfsync_octopus.connector` and is found through
the ``sfsync`` entry point ``octopus``; the offline stand-in of the
package's API is :mod:`sfsync_octopus.sandbox`.
"""

__version__ = "0.1.0"
