"""Fixtures for the security tests: every connection the process opens must stay on the loopback interface."""

import ipaddress
import socket

import pytest

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host in LOOPBACK_NAMES:
        return host is not None
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NonLoopbackConnection(AssertionError):
    """A test tried to resolve or reach a host outside the loopback interface."""


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail any name lookup or connection to a host that is not loopback, before a packet leaves."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    attempts: list[str] = []

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            attempts.append(str(host))
            raise NonLoopbackConnection(f"name lookup of {host!r} blocked: tests may reach 127.0.0.1 only")
        return real_getaddrinfo(host, *args, **kwargs)

    def checked(address) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            attempts.append(str(address[0]))
            raise NonLoopbackConnection(f"connection to {address!r} blocked: tests may reach 127.0.0.1 only")

    def connect(self, address):
        checked(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        checked(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts
    assert attempts == [], f"non-loopback hosts were tried: {attempts}"
