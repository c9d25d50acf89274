"""Shipping methods: standard, express and premium, priced per country zone and optional weight bracket."""
