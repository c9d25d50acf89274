"""Storefront themes: Jinja2 templates and static assets, one folder per theme."""
