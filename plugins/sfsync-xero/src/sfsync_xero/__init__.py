"""sfsync-xero: Xero Accounting API 2.0 (spec v16.1.0) as two sfsync connectors.

``xero`` brings every journal line (``GET /Journals``); ``xerotb`` brings trial-balance totals per
account and period (``GET /Reports/TrialBalance``), advised where a dossier uses foreign currencies
because Xero's journals leave out revaluations. Both connect per dossier: linking is the login.
"""

__all__: list[str] = []
