"""The ``parcelwatch`` operator command and the embedded development stack."""
