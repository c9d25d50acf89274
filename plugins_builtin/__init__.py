"""Plugins shipped with PyCommerce. Each is an ordinary plugin package, registered by entry point."""
