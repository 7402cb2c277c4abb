"""``python -m sfsync.cli``: the same as the ``sfsync`` command."""

from sfsync.cli import main

main()
