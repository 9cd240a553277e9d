"""PostgreSQL connection URLs: validation, and a form safe to log."""

from urllib.parse import parse_qs, urlsplit

SCHEMES = ("postgresql", "postgres")


def check_database_url(url: str) -> None:
    """Raise ValueError unless `url` is a postgresql:// URL with a host and a database name.

    The message never contains the password.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"the database URL is invalid: {error}") from None
    if parts.scheme not in SCHEMES:
        raise ValueError(f"'{display_url(url)}' must start with postgresql://, as in postgresql://helpdesk@127.0.0.1:5432/helpdesk.")
    if not parts.hostname and not _query_host(parts.query):
        raise ValueError(f"'{display_url(url)}' names no host. Use a URL like postgresql://helpdesk@127.0.0.1:5432/helpdesk.")
    if port == 0:
        raise ValueError(f"'{display_url(url)}' has port 0. Use the server's port, usually 5432.")
    if not parts.path.strip("/"):
        raise ValueError(f"'{display_url(url)}' names no database. Add it after the host, as in .../helpdesk.")


def display_url(url: str) -> str:
    """Return the URL without its password and query parameters (except a socket `host`), e.g. postgresql://helpdesk@db:5432/helpdesk."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "(invalid database URL)"
    user = f"{parts.username}@" if parts.username else ""
    if ":" in host:
        host = f"[{host}]"
    socket_folder = "" if host else _query_host(parts.query)
    return f"{parts.scheme}://{user}{host}{port}{parts.path}" + (f"?host={socket_folder}" if socket_folder else "")


def _query_host(query: str) -> str:
    """Return the `host` query parameter, which names a Unix socket folder in URLs like postgresql:///helpdesk?host=/run/postgresql."""
    return parse_qs(query).get("host", [""])[0]
