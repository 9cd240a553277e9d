"""The leaders' dashboard tab: a page served by the bot and a report API behind Teams single sign-on."""

from dashboard.routes import setup_dashboard
from dashboard.sso import EntraTokenValidator, SigningKeysUnavailable, TokenRejected
from dashboard.sso_settings import SsoSettings, load_sso_settings

__all__ = ["EntraTokenValidator", "SigningKeysUnavailable", "SsoSettings", "TokenRejected", "load_sso_settings", "setup_dashboard"]
