"""sfsync-onprem (work in progress)."""
