"""The environment variables our settings classes read, for the checks of docs and deploys."""

from pydantic_settings import BaseSettings

from services.poller.carriers.registry import registry
from services.poller.settings import PollerSettings


def env_names(settings: type[BaseSettings]) -> set[str]:
    """Each field's alias, else the class's prefix and the field's name; the poller's
    ``carriers`` field stands for every carrier's own settings (read under its prefix)."""
    prefix = settings.model_config.get("env_prefix", "")
    names = {
        (f.validation_alias if isinstance(f.validation_alias, str) else prefix + name).upper()
        for name, f in settings.model_fields.items()
    }
    if issubclass(settings, PollerSettings):
        names.remove("CARRIERS")
        for plugin in registry().values():
            names |= env_names(plugin.settings)
    return names
