"""Carrier adapters, one folder per carrier slug, listed in :mod:`.registry`.

The modules here are pure (``base``, ``codes``, ``payload``, ``timestamps``, ``render``,
``settings``) except ``http``, the clients' plumbing, and ``plugin``, which names the client.
"""
