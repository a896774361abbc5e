"""DHL tracking adapter: number formats, settings, payloads, pure mapping, the HTTP
client and the plugin that registers them (`plugin.py`)."""
