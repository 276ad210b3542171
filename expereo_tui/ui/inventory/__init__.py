"""The inventory: account, site and service tree with details and invoices."""
