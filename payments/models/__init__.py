"""Online payment models, one module per concern (docs/payments.md)."""
