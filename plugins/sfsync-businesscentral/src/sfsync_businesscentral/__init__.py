"""sfsync-businesscentral: the sfsync connectors for Microsoft Dynamics 365 Business Central
(API v2.0, OData v4, ``businesscentral``) and BoCount (``bocount``).

The connector objects live in :mod:`sfsync_businesscentral.connector`, found through the
``sfsync`` entry points; their shared engine is :mod:`sfsync_businesscentral.engine` and the
offline stand-in of both APIs is :mod:`sfsync_businesscentral.sandbox`.
"""

__version__ = "0.1.0"
