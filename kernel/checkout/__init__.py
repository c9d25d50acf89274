"""Checkout: contact, addresses, shipping, tax and payment from the store's plugins, and placing the order."""
