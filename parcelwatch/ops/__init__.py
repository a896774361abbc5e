"""The ops page: open breaches and disputes, an order's timeline, carrier health and the
seller scorecard, over the three services' query APIs (proxied: one origin)."""
