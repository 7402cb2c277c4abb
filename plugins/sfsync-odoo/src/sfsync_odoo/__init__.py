"""sfsync-odoo: the ``odoo`` connector (Odoo 14-19 external API: XML-RPC, JSON-RPC, JSON-2) and its sandbox."""
