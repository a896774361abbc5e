"""The order simulator: realistic ``orders.v1`` traffic for the embedded stack."""
