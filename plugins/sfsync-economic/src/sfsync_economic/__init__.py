"""sfsync-economic: the sfsync connector for e-conomic (Visma), legacy REST API.

The connector object lives in :mod:`sfsync_economic.connector` and is found through the
``sfsync`` entry point ``economic``; the offline stand-in of the package's API is
:mod:`sfsync_economic.sandbox`.
"""

__version__ = "0.1.0"
