"""Notifier: decides who hears what about an order and renders the messages.

The modules here are pure (no SMTP, Kafka or database): routing, tracking links,
rendering, header safety, the e-mail and chat payload builders, and a preview CLI.
"""
