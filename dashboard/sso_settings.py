"""Settings of the dashboard's Teams single sign-on, read from environment variables.

| variable | default | meaning |
|---|---|---|
| `HELPDESK_SSO_TENANT_ID` | `MicrosoftAppTenantId` | the district's Entra tenant; tokens from other tenants are rejected |
| `HELPDESK_SSO_APP_ID` | `MicrosoftAppId` | the app registration the tab's tokens are issued for |
| `HELPDESK_SSO_RESOURCE` | none | its Application ID URI, `api://<host>/<app id>`, also accepted as audience |
| `HELPDESK_SSO_METADATA_URL` | the tenant's v2.0 OpenID configuration | where the signing keys are found |
"""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from config import ConfigError

AUTHORITY = "https://login.microsoftonline.com"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class SsoSettings:
    """Sign-in parameters of the dashboard: the tenant, the app registration and the address of its published keys."""

    tenant_id: str = ""
    app_id: str = ""
    resource: str = ""
    metadata_url: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.tenant_id and self.app_id)

    @property
    def audiences(self) -> tuple[str, ...]:
        """Return the accepted `aud` values: v2.0 tokens carry the app id, v1.0 tokens the Application ID URI."""
        return tuple(value for value in (self.app_id, self.resource) if value)

    @property
    def issuer(self) -> str:
        """Return the tenant's v2.0 issuer, the only `iss` accepted."""
        return f"{AUTHORITY}/{self.tenant_id}/v2.0"


def load_sso_settings(environ: Mapping[str, str]) -> SsoSettings:
    """Read and check the dashboard's sign-in settings. Raises ConfigError naming the invalid variable.

    Without a tenant id or app id the dashboard's API responds with 503, so a bot
    run without Entra credentials (the Agents Playground) still starts.
    """
    tenant_id = (environ.get("HELPDESK_SSO_TENANT_ID") or environ.get("MicrosoftAppTenantId") or "").strip()
    app_id = (environ.get("HELPDESK_SSO_APP_ID") or environ.get("MicrosoftAppId") or "").strip()
    resource = (environ.get("HELPDESK_SSO_RESOURCE") or "").strip()
    metadata_url = (environ.get("HELPDESK_SSO_METADATA_URL") or "").strip()
    if tenant_id.lower() in ("common", "organizations", "consumers"):
        raise ConfigError(f"HELPDESK_SSO_TENANT_ID is '{tenant_id}'; the dashboard needs the district's own tenant id (a GUID)")
    if resource and not (resource.startswith("api://") and resource.rstrip("/").endswith(app_id)):
        raise ConfigError(f"HELPDESK_SSO_RESOURCE is '{resource}'; use the Application ID URI api://<host>/{app_id or '<app id>'}")
    if metadata_url:
        check_key_url(metadata_url, "HELPDESK_SSO_METADATA_URL")
    elif tenant_id:
        metadata_url = f"{AUTHORITY}/{tenant_id}/v2.0/.well-known/openid-configuration"
    return SsoSettings(tenant_id, app_id, resource, metadata_url)


def check_key_url(url: str, setting: str) -> None:
    """Raise ConfigError unless `url` is https, or http on a loopback address (test fakes)."""
    parts = urlsplit(url)
    loopback_http = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or loopback_http):
        raise ConfigError(f"{setting} is '{url}'; use an https:// address (plain http is accepted only on 127.0.0.1 or localhost)")
