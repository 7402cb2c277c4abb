"""``echo``: the built-in fake connector and its sandbox (cf. llm's ``llm-echo``).

It connects with a form (an API key), pages a tiny JSON API, reports deletions and trial-balance
totals, so the core's tests, the docs' samples and the contract suite have a real connector to
run against without any package installed.
"""

from sfsync.echo.connector import EchoConnector, connector
from sfsync.echo.sandbox import EchoSandbox

__all__ = ["EchoConnector", "EchoSandbox", "connector"]
