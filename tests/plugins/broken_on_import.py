"""Fixture plugin that fails while being imported."""

raise RuntimeError("broken on purpose: missing configuration")
