"""Typed, validated stack settings: the one config surface every target reads."""

from infra.settings.loader import ConfigError, load_settings, settings_from_pulumi_config
from infra.settings.model import Settings, Target, WorkerGroup

__all__ = [
    "ConfigError",
    "Settings",
    "Target",
    "WorkerGroup",
    "load_settings",
    "settings_from_pulumi_config",
]
