"""Compliance models (docs/compliance.md)."""
