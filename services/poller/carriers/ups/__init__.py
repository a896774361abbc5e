"""UPS tracking adapter: number formats, settings, payloads, pure mapping, the HTTP client,
the Track Alert parser and the plugin that registers them (`plugin.py`)."""
