"""Carts: guest carts (a token is the capability) and customer carts, priced from the catalog on every read."""
