"""The dashboard tab: its page and assets, and the report API that only leaders and admins may call.

| route | access | returns |
|---|---|---|
| `GET /dashboard` | anyone | the page, which contains no data |
| `GET /dashboard/dashboard.js`, `/dashboard/dashboard.css` | anyone | the page's script and style |
| `GET /dashboard/teams-js.js` | anyone | the Teams JavaScript library, installed from npm in `dashboard/vendor` |
| `GET /api/report?from=&to=&level=&school=` | leader, admin | every figure as JSON |
| `GET /api/report.csv` | leader, admin | the touch rows behind the figures |
| `GET /api/report.png` | leader, admin | the chart |

The API takes the Teams SSO token as `Authorization: Bearer` and responds
with 401 without a valid one, 403 for people who are not leaders or admins,
400 for invalid dates or filters, and 503 when sign-in is not configured or
the tenant's signing keys cannot be fetched.
"""

import asyncio
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from dashboard.sso import EntraTokenValidator, SigningKeysUnavailable, TokenRejected
from dashboard.sso_settings import SsoSettings, load_sso_settings
from domain.actor import Actor, Role
from domain.clock import utc_now
from reports import InvalidReportQuery, ReportQuery, alt_text, build_report, parse_query, render_chart, report_context, touch_rows, touches_csv
from reports.query import SCHOOL_LEVELS, school_year_so_far

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEAMS_JS = Path(__file__).resolve().parent / "vendor" / "node_modules" / "@microsoft" / "teams-js" / "dist" / "umd" / "MicrosoftTeams.min.js"
SSO_SETTINGS = web.AppKey("sso_settings", SsoSettings)
SSO_VALIDATOR = web.AppKey("sso_validator", EntraTokenValidator)

# The page loads nothing from another origin. `blob:` is the chart, which the page fetches with the token.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
BEARER_REALM = 'Bearer realm="helpdesk-dashboard"'


def setup_dashboard(app: web.Application, services_key: web.AppKey, environ: Mapping[str, str] | None = None) -> None:
    """Add the dashboard's routes and its SSO validator. Raises ConfigError for invalid sign-in settings.

    `services_key` is where the app keeps the opened `dialogs.context.Services`.
    """
    app[SSO_SETTINGS] = load_sso_settings(os.environ if environ is None else environ)
    app.cleanup_ctx.append(_validator_context)
    api = ReportApi(services_key)
    app.router.add_get("/dashboard", _page)
    app.router.add_get("/dashboard/dashboard.js", _asset)
    app.router.add_get("/dashboard/dashboard.css", _asset)
    app.router.add_get("/dashboard/teams-js.js", _teams_js)
    app.router.add_get("/api/report", api.report_json)
    app.router.add_get("/api/report.csv", api.report_csv)
    app.router.add_get("/api/report.png", api.report_png)


async def _validator_context(app: web.Application):
    settings = app[SSO_SETTINGS]
    if not settings.configured:
        logger.warning("dashboard sign-in is not configured (MicrosoftAppId and MicrosoftAppTenantId, or HELPDESK_SSO_*); /api/report responds with 503")
    async with aiohttp.ClientSession() as session:
        app[SSO_VALIDATOR] = EntraTokenValidator(settings, session)
        yield


class ReportApi:
    """The report endpoints. Each checks the caller's token and role before reading anything."""

    def __init__(self, services_key: web.AppKey):
        self.services_key = services_key

    async def report_json(self, request: web.Request) -> web.Response:
        services, query = await self._authorized_query(request)
        _, figures = await build_report(services.store, services.settings, query, utc_now())
        body = {**figures, "chart_alt_text": alt_text(figures), "directory": _directory(services.settings)}
        return web.json_response(body, headers=API_HEADERS, dumps=lambda value: json.dumps(value, ensure_ascii=False))

    async def report_csv(self, request: web.Request) -> web.Response:
        services, query = await self._authorized_query(request)
        now = utc_now()
        data, _ = await build_report(services.store, services.settings, query, now)
        text = touches_csv(touch_rows(data, query, report_context(services.settings, now)))
        filename = f"helpdesk-touches-{query.start}-to-{query.end}.csv"
        headers = {**API_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
        return web.Response(text=text, content_type="text/csv", charset="utf-8", headers=headers)

    async def report_png(self, request: web.Request) -> web.Response:
        services, query = await self._authorized_query(request)
        _, figures = await build_report(services.store, services.settings, query, utc_now())
        chart = await asyncio.to_thread(render_chart, figures, 800, 340)
        return web.Response(body=chart.png, content_type="image/png", headers=API_HEADERS)

    async def _authorized_query(self, request: web.Request) -> tuple[Any, ReportQuery]:
        services = request.app[self.services_key]
        await self._leader(request, services)
        settings = services.settings
        default_start, default_end = school_year_so_far(settings.calendar.local_date(utc_now()))
        params = request.query
        try:
            query = parse_query(
                params.get("from") or default_start.isoformat(),
                params.get("to") or default_end.isoformat(),
                settings.schools,
                params.get("level") or None,
                params.get("school") or None,
            )
        except InvalidReportQuery as error:
            raise _error(web.HTTPBadRequest, str(error)) from None
        return services, query

    async def _leader(self, request: web.Request, services: Any) -> Actor:
        """Return the signed-in leader or admin. Raises the HTTP error for everyone else."""
        settings = request.app[SSO_SETTINGS]
        if not settings.configured:
            raise _error(web.HTTPServiceUnavailable, "Dashboard sign-in is not configured on this bot.")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _error(web.HTTPUnauthorized, "Sign-in is required: open the dashboard as a tab in Microsoft Teams.", {"WWW-Authenticate": BEARER_REALM})
        try:
            claims = await request.app[SSO_VALIDATOR].validate(token.strip())
        except TokenRejected as error:
            logger.info("dashboard token rejected from %s: %s", request.remote, error)
            challenge = f'{BEARER_REALM}, error="invalid_token"'
            raise _error(web.HTTPUnauthorized, "The sign-in token is invalid or expired; reopen the tab.", {"WWW-Authenticate": challenge}) from None
        except SigningKeysUnavailable as error:
            logger.error("dashboard sign-in failed: %s", error)
            raise _error(web.HTTPServiceUnavailable, "Sign-in cannot be checked right now; try again in a few minutes.") from None
        actor = services.roles.actor(claims["oid"], claims.get("name", ""))
        if not actor.has(Role.LEADER):
            logger.info("dashboard request by %s rejected: not a leader or admin", actor.id)
            raise _error(web.HTTPForbidden, "The dashboard is for district leaders and helpdesk admins.")
        logger.info("dashboard %s by %s", request.path, actor.id)
        return actor


def _directory(settings) -> dict[str, Any]:
    """Return the choices for the page's filters."""
    schools = sorted(settings.schools.schools, key=lambda school: school.name)
    return {"school_levels": list(SCHOOL_LEVELS), "schools": [{"name": school.name, "level": school.level} for school in schools]}


def _error(kind: type[web.HTTPException], message: str, headers: dict[str, str] | None = None) -> web.HTTPException:
    return kind(text=json.dumps({"error": message}), content_type="application/json", headers={**API_HEADERS, **(headers or {})})


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)


async def _asset(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / Path(request.path).name, headers=PAGE_HEADERS)


async def _teams_js(request: web.Request) -> web.StreamResponse:
    if not TEAMS_JS.is_file():
        logger.warning("the Teams JavaScript library is missing at %s; run npm ci in dashboard/vendor", TEAMS_JS)
        raise web.HTTPNotFound(text="The Teams JavaScript library is not installed: run npm ci in dashboard/vendor.")
    return web.FileResponse(TEAMS_JS, headers=PAGE_HEADERS)
