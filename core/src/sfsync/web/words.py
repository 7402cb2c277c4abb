"""Words the pages show from the core's values (a run's status, a role, a link's mode, a
connection level), listed here so that ``scripts/web-catalogues`` extracts them for translation;
the templates translate the value itself (``_(run.status)``)."""

from __future__ import annotations

__all__ = ["CORE_WORDS"]


def _(text: str) -> str:
    return text


CORE_WORDS = (
    _("ok"), _("warning"), _("failed"), _("running"), _("waiting"), _("skipped"),
    _("admin"), _("member"), _("support"),
    _("since"), _("replace"),
    _("transactions"), _("trial_balance"), _("details"),
    _("firm"), _("dossier"), _("agent"), _("needs_reconsent"),
)
"""The values, in English (the source language)."""
