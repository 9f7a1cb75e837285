"""Loyalty models (docs/loyalty.md)."""
