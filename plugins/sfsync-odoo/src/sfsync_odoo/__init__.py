"""sfsync-odoo (work in progress)."""
