"""sfsync: keep an accounting firm's dossiers filled with figures from accounting packages."""
