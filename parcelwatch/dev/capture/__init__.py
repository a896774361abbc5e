"""Local SMTP capture for the embedded stack: keeps every message as an ``.eml`` file and
shows an inbox page. Also takes operations alerts on a Slack-compatible webhook.

Start it with ``parcelwatch dev mail``, or in-process with :func:`.server.serve`.
"""
