"""Development tools: the embedded stack, carrier emulator, mail capture, order simulator and
fault proxy. Installed with uv's ``dev`` dependency group (``make run``, ``make test``), never
in production; nothing under ``services/`` or ``shared/`` imports them."""
