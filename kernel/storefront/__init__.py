"""The shopper-facing storefront, rendered from the store's theme."""
