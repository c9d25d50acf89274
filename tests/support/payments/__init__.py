"""Stateful local imitations of the payment providers, for tests that drive the real client libraries
(see README.md here)."""
