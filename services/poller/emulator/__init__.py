"""Carrier emulator: the UPS, FedEx, USPS and DHL tracking APIs with scripted lifecycles.

Start it with ``parcelwatch dev carriers`` or :func:`~services.poller.emulator.app.server`;
pick a lifecycle with :func:`~services.poller.emulator.scenarios.number_for`.
"""
