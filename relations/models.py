"""Relationship maintenance models (docs/relations.md)."""
