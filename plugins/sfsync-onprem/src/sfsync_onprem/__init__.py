"""sfsync-onprem: the ``onprem`` connector, its sync service and the readers of on-premise exports.

On-premise packages (ExpertM, Wings, Winbooks, Venice, …) keep each client in a folder on the
firm's server; :mod:`sfsync_onprem.agent` serves those folders read-only over HTTP, and
:mod:`sfsync_onprem.connector` syncs dossiers from it (or from a local root). The readers
(:mod:`sfsync_onprem.readers`) handle XAF 3.0–4.0, SAF-T Financial NO 1.10/1.30, Winbooks DBF
folders and trial-balance/ledger exports in CSV, TXT, XLS and XLSX.
"""

__version__ = "0.1.0"
