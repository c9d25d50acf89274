"""Accounts: platform administrators, store staff, customers, and how they authenticate."""
