"""Stores: the tenants of the platform."""
