"""Test infrastructure: real broker and PostgreSQL, and helpers to read topics."""
