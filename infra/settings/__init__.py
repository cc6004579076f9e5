"""Typed, validated stack settings: the one config surface every target reads."""

from infra.settings.model import Settings, Target, WorkerGroup
from infra.settings.loader import ConfigError, load_settings, settings_from_pulumi_config

__all__ = [
    "ConfigError",
    "Settings",
    "Target",
    "WorkerGroup",
    "load_settings",
    "settings_from_pulumi_config",
]
