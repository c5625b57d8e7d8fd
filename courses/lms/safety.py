"""Which LMS base URLs the platform will call: https only, on hosts that resolve to public
addresses only. The server calls the stored `link` with the user's token, so a link to a
private, loopback, link-local or reserved address would let a user make the server reach
its own network (SSRF).

Host resolution goes through `resolve_host`, which tests replace; nothing here needs DNS
when the link names an IP address."""

import ipaddress
import socket
from urllib.parse import urlsplit

from config.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeLink(ValueError):
    """The link is not an https URL on a public host; the message says why."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6). Raises OSError when it does not
    resolve."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: IPAddress) -> bool:
    """True for globally routable unicast addresses; false for private, loopback,
    link-local, reserved, shared (CGNAT), multicast and unspecified ones, including IPv4
    addresses written as IPv6 (::ffff:10.0.0.1, 6to4, Teredo)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not address.is_multicast


def check_link(link: str) -> str:
    """The normalised base URL (`https://host[:port][/path]`, no trailing slash), or
    UnsafeLink. Resolves the host unless it is an IP literal."""
    link = (link or "").strip()
    try:
        parts = urlsplit(link)
        port = parts.port or 443
    except ValueError as exc:
        raise UnsafeLink("Not a valid URL.") from exc
    if parts.scheme != "https":
        raise UnsafeLink("Only https links are allowed.")
    host = parts.hostname or ""
    if not host:
        raise UnsafeLink("The link has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeLink("The link may not contain a user name or password.")
    if parts.query or parts.fragment:
        raise UnsafeLink("The link may not contain a query or a fragment.")
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            resolved = resolve_host(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnsafeLink(f"The host {host!r} could not be resolved.") from exc
        if not resolved:
            raise UnsafeLink(f"The host {host!r} could not be resolved.")
        addresses = [ipaddress.ip_address(address.split("%", 1)[0]) for address in resolved]
    refused = [str(address) for address in addresses if not is_public_address(address)]
    if refused:
        raise UnsafeLink(
            "The link points to a private, loopback, link-local or reserved address "
            f"({', '.join(refused)})."
        )
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port is not None and parts.port != 443:
        netloc = f"{netloc}:{parts.port}"
    return f"https://{netloc.lower()}{parts.path.rstrip('/')}"


def validated_link(link: str, *, field: str = "link") -> str:
    """`check_link` for services: an unsafe link is a 400 naming `field`."""
    try:
        return check_link(link)
    except UnsafeLink as exc:
        raise ValidationFailed(
            f"Invalid input: {field}.", code="unsafe_link", errors={field: [str(exc)]}
        ) from exc
