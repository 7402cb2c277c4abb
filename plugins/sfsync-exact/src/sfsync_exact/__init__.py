"""sfsync-exact (work in progress)."""
