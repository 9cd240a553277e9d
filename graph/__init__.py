"""Microsoft Graph: calendar events with Teams meetings, and user look-ups, with app-only tokens from msal."""

from graph.client import GraphClient, parse_graph_time, utc_time
from graph.errors import (
    GraphAuthenticationError,
    GraphError,
    GraphNotFound,
    GraphPermissionError,
    GraphRequestError,
    GraphThrottled,
    GraphUnavailable,
)
from graph.token_provider import GRAPH_SCOPES, TokenProvider

__all__ = [
    "GRAPH_SCOPES",
    "GraphAuthenticationError",
    "GraphClient",
    "GraphError",
    "GraphNotFound",
    "GraphPermissionError",
    "GraphRequestError",
    "GraphThrottled",
    "GraphUnavailable",
    "TokenProvider",
    "parse_graph_time",
    "utc_time",
]
