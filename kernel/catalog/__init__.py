"""Catalog: products, variants, categories, attributes and images."""
