"""Which URLs may receive webhooks: the rule against server-side request forgery.

A token holder registers a URL that Birge's workers then call from inside the deployment's
network. So a URL is ``https://`` only, carries no credentials, and its host's every address is
public (not private, loopback, link-local, shared, reserved or multicast). The workers apply
the rule again before each post (DNS may change) and connect to the very address it checked
(:attr:`CheckedUrl.addresses`), so that a second DNS answer cannot point them elsewhere.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

from models.core.i18n import N_
from models.core.text import has_forbidden_controls
from models.integrations.tokens import IntegrationError

__all__ = [
    "MAX_URL_LENGTH",
    "CheckedUrl",
    "Resolver",
    "UnresolvedHost",
    "WebhookUrlError",
    "check_webhook_url",
    "resolve_host",
]

#: The longest URL kept (an outbox row's recipient holds it).
MAX_URL_LENGTH = 254


class WebhookUrlError(IntegrationError):
    """The URL may not receive webhooks."""


class UnresolvedHost(WebhookUrlError):
    """The URL's host does not resolve (now): a worker retries, a registration is refused."""


#: Return the addresses a host resolves to for TCP on a port; raise OSError when it does not.
Resolver = Callable[[str, int], Sequence[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Return the addresses *host* resolves to for TCP on *port*, by the system's resolver.

    Raises:
      OSError: the host does not resolve.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class CheckedUrl:
    """A webhook URL that passed :func:`check_webhook_url`, with what a post needs of it."""

    url: str
    scheme: str
    host: str
    port: int
    #: The request target: the path and the query.
    target: str
    #: Every address the host resolved to, each checked: a post connects to one of these and
    #: never asks the resolver again (a second answer could be a private address).
    addresses: tuple[str, ...]


_NOT_HTTPS = N_("A webhook URL starts with https:// and is at most 254 characters.")
_PRIVATE = N_("The webhook URL's host has a private, loopback, link-local or reserved address.")
_NAT64 = IPv6Network("64:ff9b::/96")


def _public(address: IPv4Address | IPv6Address) -> bool:
    """Tell whether *address* is on the public internet, looking through the IPv6 forms that
    carry an IPv4 address (mapped, NAT64, 6to4, Teredo)."""
    if isinstance(address, IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return _public(embedded)
    return address.is_global and not address.is_multicast


def check_webhook_url(
    url: str, *, allow_loopback: bool = False, resolve: Resolver = resolve_host
) -> CheckedUrl:
    """Check *url* as a webhook's address and resolve its host.

    The rule: ``https://``, no user name or password, and a host whose every address is public
    (not private, loopback, link-local, shared, reserved or multicast). With *allow_loopback*
    (``BIRGE_WEBHOOK_ALLOW_LOOPBACK``, for tests) a loopback address is allowed too, by
    ``http://`` as well.

    Raises:
      UnresolvedHost: the host does not resolve.
      WebhookUrlError: the URL breaks the rule.
    """
    url = url.strip()
    if (
        len(url) > MAX_URL_LENGTH
        or has_forbidden_controls(url)
        or any(c.isspace() for c in url)
        or not url.isascii()
    ):
        raise WebhookUrlError(_NOT_HTTPS, "url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlError(_NOT_HTTPS, "url") from None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("https", "http") or not host:
        raise WebhookUrlError(_NOT_HTTPS, "url")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlError(N_("A webhook URL carries no user name or password."), "url")
    if scheme == "http" and not allow_loopback:
        raise WebhookUrlError(_NOT_HTTPS, "url")
    port = port or (443 if scheme == "https" else 80)
    try:
        found = [ip_address(a.partition("%")[0]) for a in resolve(host, port)]
    except (OSError, UnicodeError):
        raise UnresolvedHost(N_("The webhook URL's host does not resolve."), "url") from None
    if not found:
        raise UnresolvedHost(N_("The webhook URL's host does not resolve."), "url")
    loopback = [a.is_loopback for a in found]
    for address, is_loopback in zip(found, loopback, strict=True):
        if not _public(address) and not (allow_loopback and is_loopback):
            raise WebhookUrlError(_PRIVATE, "url")
    if scheme == "http" and not all(loopback):
        raise WebhookUrlError(_NOT_HTTPS, "url")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return CheckedUrl(url, scheme, host, port, target, tuple(str(a) for a in found))
