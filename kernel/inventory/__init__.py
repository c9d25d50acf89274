"""Inventory: stock per variant, its ledger of movements, and reservations."""
