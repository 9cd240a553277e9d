"""Checks the Bot Framework token of each inbound request, so an invalid token gets HTTP 401.

botbuilder 4.17.1 validates tokens with PyJWT but lets most of PyJWT's
errors through: an expired token, a bad signature, an unknown key id or an
unreadable token reach `CloudAdapter.process` as exceptions other than
`PermissionError` and become HTTP 500, which the Bot Connector retries. Only
`PermissionError` becomes HTTP 401, so every token error is turned into one.

NOTE: botbuilder 4.17.1 fetches the OpenID metadata and keys with blocking
`requests` calls, without a timeout, on the event loop (once a day, and when
a token names an unknown key at most once an hour). A slow key endpoint
stalls every turn until it responds.
"""

import logging

import requests
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult, ClaimsIdentity

logger = logging.getLogger(__name__)


class CheckedBotFrameworkAuthentication(ConfigurationBotFrameworkAuthentication):
    """The SDK's authentication from a configuration object, raising PermissionError for every invalid token."""

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        try:
            return await super().authenticate_request(activity, auth_header)
        except Exception as error:
            raise _rejection(error, activity.id) from error

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> AuthenticateRequestResult:
        try:
            return await super().authenticate_streaming_request(auth_header, channel_id_header)
        except Exception as error:
            raise _rejection(error, None) from error

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        try:
            return await super().authenticate_channel_request(auth_header)
        except Exception as error:
            raise _rejection(error, None) from error


def _rejection(error: Exception, activity_id: str | None) -> Exception:
    """Return the error to raise for a failed authentication: PermissionError, unless the signing keys could not be fetched.

    The SDK raises a bare `Exception` for a failed endorsement check, so the
    token errors cannot be listed by type. A failed fetch of the OpenID
    metadata is an outage, not a bad token, and stays an error (HTTP 500) so
    the Bot Connector sends the activity again later.
    """
    if isinstance(error, requests.RequestException):
        logger.error("activity %s: fetching the Bot Framework signing keys failed: %s", activity_id, type(error).__name__)
        return error
    logger.warning("activity %s rejected: invalid token (%s: %s)", activity_id, type(error).__name__, error)
    if isinstance(error, PermissionError):
        return error
    return PermissionError(f"invalid token: {type(error).__name__}")
