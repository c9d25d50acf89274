"""PyCommerce kernel: the tenant-aware core every plugin builds on."""

__version__ = "0.1.0"
