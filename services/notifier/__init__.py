"""Notifier: decides who hears what about an order, renders the messages, sends them once.

Pure parts: routing, tracking links, rendering, header safety, the e-mail and chat payload
builders, retry policy, outcome events. I/O at the edges: ``handlers`` (consumer side),
``store`` (PostgreSQL), ``sender`` (the background task), ``transports`` (SMTP, HTTP API,
webhook), wired in ``entrypoint``. ``capture`` is the local SMTP capture of the embedded
stack. See ``docs/notifier.md``.
"""
