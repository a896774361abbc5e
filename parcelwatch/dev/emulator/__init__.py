"""Carrier emulator: the UPS, FedEx, USPS and DHL tracking APIs with scripted lifecycles.

Start it with ``parcelwatch dev carriers`` or :func:`~parcelwatch.dev.emulator.app.server`;
pick a lifecycle with :func:`~parcelwatch.dev.emulator.scenarios.number_for`.
"""
