"""Configuration: settings files, environment variables and their validation."""

from config.settings import ChannelSettings, ConfigError, RoleSettings, Settings, load_settings

__all__ = ["ChannelSettings", "ConfigError", "RoleSettings", "Settings", "load_settings"]
