"""Fetching a web page for "add by URL", without letting the server be turned against its
own network.

- Only ``http`` and ``https`` URLs, with a host name and no user or password in them.
- The host is resolved and **every** address it resolves to is checked: one that is not a
  public address (private, loopback, link-local, shared, reserved, multicast,
  unspecified; an IPv4 address mapped into IPv6 is checked as IPv4) refuses the URL. The
  connection then goes to the address that was checked, so a second DNS answer cannot
  swap it (DNS rebinding); TLS still checks the certificate against the host name.
- Redirects are followed by hand (at most ``MAX_REDIRECTS``), each new URL checked the
  same way: a public page that redirects to ``http://127.0.0.1/`` is refused.
- At most ``CLAIMDESK_URL_FETCH_MAX_BYTES`` are read, all within
  ``CLAIMDESK_URL_FETCH_TIMEOUT`` seconds (the whole fetch, redirects included).
- Only HTML (``text/html``, ``application/xhtml+xml``) is taken.

``CLAIMDESK_URL_FETCH_ALLOW_PRIVATE`` lifts the address check (tests with a local server,
an intranet); nothing else changes. Failures raise ``FetchError`` with a message for the
user.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings

MAX_REDIRECTS = 5
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "Claimdesk/0.1 (article import; +https://github.com/)"
_CHUNK = 64 * 1024


class FetchError(Exception):
    """Why a URL gave no page, in words for the user."""


@dataclass(frozen=True)
class FetchedPage:
    url: str  # the URL asked for
    final_url: str  # after redirects
    html: str
    content_type: str


@dataclass(frozen=True)
class Policy:
    timeout: float
    max_bytes: int
    allow_private: bool

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            timeout=float(settings.CLAIMDESK_URL_FETCH_TIMEOUT),
            max_bytes=int(settings.CLAIMDESK_URL_FETCH_MAX_BYTES),
            allow_private=bool(settings.CLAIMDESK_URL_FETCH_ALLOW_PRIVATE),
        )


def url_problem(url: str) -> str:
    """Why ``url`` is no URL to fetch ("" if it is one): the checks that need no network."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http:// and https:// URLs can be fetched"
    if not parts.hostname:
        return "the URL has no host name"
    if parts.username is not None or parts.password is not None:
        return "a URL with a user name or password in it is not fetched"
    return ""


def address_problem(address: str) -> str:
    """Why the server must not connect to this IP address ("" if it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private:
        return f"{ip} is a private address"
    if not ip.is_global or ip.is_multicast:
        return f"{ip} is not a public address"
    return ""


def _resolve(host: str, port: int, policy: Policy) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"the host name “{host}” could not be resolved") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError(f"the host name “{host}” could not be resolved")
    if not policy.allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise FetchError(
                    f"refused: {host} resolves to {problem} "
                    "(the server does not fetch from its own network)"
                )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address checked, not to a second lookup of the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _charset(content_type: str, head: bytes) -> str:
    """The page's character set: the Content-Type's, else a <meta charset>'s, else UTF-8."""
    declared = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if declared:
        return declared[1]
    meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", head[:4096], re.IGNORECASE)
    return meta[1].decode("ascii", "replace") if meta else "utf-8"


def _read(response: http.client.HTTPResponse, policy: Policy, deadline: float) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchError(
            f"the page has {int(declared):,} bytes; the limit is {policy.max_bytes:,} "
            "(CLAIMDESK_URL_FETCH_MAX_BYTES)"
        )
    parts: list[bytes] = []
    size = 0
    while piece := response.read(min(_CHUNK, policy.max_bytes + 1 - size) or 1):
        parts.append(piece)
        size += len(piece)
        if size > policy.max_bytes:
            raise FetchError(
                f"the page has more than {policy.max_bytes:,} bytes (CLAIMDESK_URL_FETCH_MAX_BYTES)"
            )
        if time.monotonic() > deadline:
            raise FetchError(f"the page did not arrive within {policy.timeout:g} seconds")
    return b"".join(parts)


def _get(url: str, policy: Policy, deadline: float) -> tuple[http.client.HTTPResponse, Any]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    address = _resolve(host, port, policy)
    remaining = max(0.1, deadline - time.monotonic())
    kind = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = kind(host, port, address, remaining)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    connection.request(
        "GET",
        path,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml;q=0.9",
            "Accept-Encoding": "identity",
        },
    )
    return connection.getresponse(), connection


def fetch_html(url: str, policy: Policy | None = None) -> FetchedPage:
    """The HTML page at ``url`` (see the module docstring), or ``FetchError``."""
    policy = policy or Policy.from_settings()
    deadline = time.monotonic() + policy.timeout
    current = url.strip()
    for _ in range(MAX_REDIRECTS + 1):
        problem = url_problem(current)
        if problem:
            raise FetchError(problem)
        connection = None
        try:
            response, connection = _get(current, policy, deadline)
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchError(f"the server answered {response.status} with no Location")
                current = urljoin(current, location.strip())
                continue
            if response.status != 200:
                raise FetchError(f"the server answered {response.status} {response.reason}")
            content_type = response.getheader("Content-Type") or ""
            if content_type.split(";", 1)[0].strip().lower() not in HTML_TYPES:
                shown = content_type.split(";", 1)[0].strip() or "none"
                raise FetchError(f"not an HTML page (its content type is {shown})")
            data = _read(response, policy, deadline)
        except TimeoutError as exc:
            raise FetchError(f"no answer within {policy.timeout:g} seconds") from exc
        except ssl.SSLError as exc:
            raise FetchError(f"the secure connection failed ({exc.reason or exc})") from exc
        except ConnectionRefusedError as exc:
            raise FetchError("the server refused the connection") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(
                f"the page could not be fetched ({exc or type(exc).__name__})"
            ) from exc
        finally:
            if connection is not None:
                connection.close()
        charset = _charset(content_type, data)
        try:
            html = data.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise FetchError(f"the page is not readable as {charset} text") from exc
        return FetchedPage(url=url, final_url=current, html=html, content_type=content_type)
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")
