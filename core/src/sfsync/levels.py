"""The four connection levels as rules: who may create or change a connection of each level, and
what a person must do when one needs re-consent.

=========  ==============================================  ====================================
level      who creates and changes it                      re-consent
=========  ==============================================  ====================================
firm       a firm admin                                    an admin logs in / re-enters the form
dossier    any user of the firm, for one dossier (its      the dossier logs in again
           login *is* the link step)
support    support staff of the host only; a firm admin    support re-enters the credentials
           sends them the credentials
agent      a firm admin (the on-premise sync service)      an admin enters the service's new token
=========  ==============================================  ====================================

The core API applies these rules (:class:`sfsync.api.Sfsync`); a CLI or a page only shows them.
"""

from __future__ import annotations

from sfsync.auth import ConnectionLevel
from sfsync.errors import PermissionDenied
from sfsync.store.base import User

__all__ = ["reconsent_hint", "require_may_manage"]


def require_may_manage(user: User, level: ConnectionLevel | str, connector: str, action: str) -> None:
    """Refuse ``user`` creating or changing (``action``) a connection of ``level``.

    Raises:
        PermissionDenied: With what the person should do instead (contact support, ask an admin).
    """
    level = ConnectionLevel(level)
    if level is ConnectionLevel.SUPPORT:
        if user.role != "support":
            raise PermissionDenied(
                f"connector {connector} is set up by support staff: {user.email} cannot {action}; "
                "send the credentials to support, who create and change this connection for the firm"
            )
        return
    if user.role == "support":
        raise PermissionDenied(
            f"support staff set up only support-level connections; connector {connector} is "
            f"{level.value}-level, so a user of the firm must {action}"
        )
    if level is ConnectionLevel.DOSSIER:
        return  # any user of the firm, for a dossier of the firm (checked by the API)
    if user.role != "admin":
        raise PermissionDenied(f"{user.email} is a member of the firm; only an admin may {action}")


def reconsent_hint(level: ConnectionLevel | str) -> str:
    """What a person must do to bring a connection of ``level`` back (for messages)."""
    return {
        ConnectionLevel.FIRM: "an admin must log in to the package again (`sfsync reconnect`)",
        ConnectionLevel.DOSSIER: "the dossier must log in to the package again (`sfsync reconnect`)",
        ConnectionLevel.SUPPORT: "support staff must enter the new credentials (contact support)",
        ConnectionLevel.AGENT: "an admin must enter the sync service's new token (`sfsync reconnect`)",
    }[ConnectionLevel(level)]
