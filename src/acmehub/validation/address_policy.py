"""Where http-01 and tls-alpn-01 may connect: the address policy (issue 15, server-side request
forgery).

A validation connects to addresses that a stranger chose (through the DNS records of a name,
or a redirect). Without a policy, anyone with an account could make the CA probe and read
services on its own network: the cloud metadata service at 169.254.169.254, a database on
127.0.0.1, an admin interface on 10.0.0.1. The checkers therefore resolve a name once, screen
every address here, and connect to a screened address itself (never a second lookup), for the
first request and for every redirect -- a literal IP in a redirect included.

The table below is written out so that it can be reviewed against IANA's IPv4 and IPv6
Special-Purpose Address Registries (RFC 6890), with Boulder's ``bdns`` list as the reference
for what a public CA refuses. Each block says whether it is a *private* range: those are
allowed under the ``internal`` network policy (the default: an enterprise CA validates hosts
of its own network) and refused under ``public`` (as Boulder). Everything else in the table is
refused under both. ``VaSettings.allowed_networks`` (``validation_allowed_networks``) allows
named networks that the table would refuse, except the unspecified addresses 0.0.0.0 and ::,
which nothing allows. The addresses acmehub itself listens on (address and port) are refused
whatever the policy.

IPv6 forms that carry an IPv4 address are judged by that address too: IPv4-mapped
``::ffff:a.b.c.d`` (a dual-stack socket connects to a.b.c.d itself) and NAT64's
``64:ff9b::a.b.c.d`` and ``64:ff9b:1::/48`` (a translator would connect to it). 6to4 (2002::/16)
and Teredo (2001::/32) are refused outright, as Boulder does: anyone may answer for them.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from acmehub.domain.errors import ErrorKind
from acmehub.domain.model import ValidationNetwork
from acmehub.validation.common import CheckContext, IPAddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_UNSPECIFIED: frozenset[IPAddress] = frozenset(
    {ipaddress.IPv4Address("0.0.0.0"), ipaddress.IPv6Address("::")}  # noqa: S104
)


@dataclass(frozen=True)
class SpecialBlock:
    """One special-purpose block: what its addresses are, and where that is written."""

    network: IPNetwork
    #: Completes "ADDRESS is ...", e.g. "a loopback address".
    what: str
    source: str
    #: Allowed under the ``internal`` policy (a private range, or a form of an IPv4 address
    #: that is judged by that address).
    private: bool = False
    #: An IPv6 form that carries an IPv4 address in its last 32 bits: refused when that
    #: address is refused.
    embeds_ipv4: bool = False
    #: Globally reachable once the embedded IPv4 address is acceptable (NAT64's well-known
    #: prefix): allowed under ``public`` too.
    transparent: bool = False


def _block(
    cidr: str,
    what: str,
    source: str,
    *,
    private: bool = False,
    embeds_ipv4: bool = False,
    transparent: bool = False,
) -> SpecialBlock:
    return SpecialBlock(ipaddress.ip_network(cidr), what, source, private, embeds_ipv4, transparent)


#: The first block that holds an address names it (narrower blocks come before wider ones).
SPECIAL_BLOCKS: tuple[SpecialBlock, ...] = (
    # IPv4 (IANA IPv4 Special-Purpose Address Registry; multicast and reserved from RFC 5771,
    # RFC 1112).
    _block("0.0.0.0/32", "the unspecified address", "RFC 1122 §3.2.1.3"),
    _block("0.0.0.0/8", "in 'this network' (0.0.0.0/8)", "RFC 791"),
    _block("10.0.0.0/8", "a private address (10.0.0.0/8)", "RFC 1918", private=True),
    _block("100.64.0.0/10", "a shared address (100.64.0.0/10)", "RFC 6598", private=True),
    _block("127.0.0.0/8", "a loopback address", "RFC 1122 §3.2.1.3"),
    _block("169.254.0.0/16", "a link-local address", "RFC 3927"),
    _block("172.16.0.0/12", "a private address (172.16.0.0/12)", "RFC 1918", private=True),
    _block("192.0.0.0/24", "an IETF protocol assignment (192.0.0.0/24)", "RFC 6890"),
    _block("192.0.2.0/24", "a documentation address (TEST-NET-1)", "RFC 5737"),
    _block("192.31.196.0/24", "an AS112 DNS sink address", "RFC 7535"),
    _block("192.52.193.0/24", "an AMT relay anycast address", "RFC 7450"),
    _block("192.88.99.0/24", "a deprecated 6to4 relay anycast address", "RFC 7526"),
    _block("192.168.0.0/16", "a private address (192.168.0.0/16)", "RFC 1918", private=True),
    _block("192.175.48.0/24", "an AS112 DNS sink address", "RFC 7534"),
    _block("198.18.0.0/15", "a benchmarking address", "RFC 2544"),
    _block("198.51.100.0/24", "a documentation address (TEST-NET-2)", "RFC 5737"),
    _block("203.0.113.0/24", "a documentation address (TEST-NET-3)", "RFC 5737"),
    _block("224.0.0.0/4", "a multicast address", "RFC 5771"),
    _block("255.255.255.255/32", "the limited broadcast address", "RFC 919 §7"),
    _block("240.0.0.0/4", "a reserved address (240.0.0.0/4)", "RFC 1112 §4"),
    # IPv6 (IANA IPv6 Special-Purpose Address Registry, RFC 4291).
    _block("::/128", "the unspecified address", "RFC 4291 §2.5.2"),
    _block("::1/128", "a loopback address", "RFC 4291 §2.5.3"),
    _block(
        "::ffff:0:0/96",
        "an IPv4-mapped address",
        "RFC 4291 §2.5.5.2",
        private=True,
        embeds_ipv4=True,
    ),
    _block("::/96", "a deprecated IPv4-compatible address", "RFC 4291 §2.5.5.1"),
    _block("64:ff9b::/96", "a NAT64 address", "RFC 6052", embeds_ipv4=True, transparent=True),
    _block(
        "64:ff9b:1::/48", "a local-use NAT64 address", "RFC 8215", private=True, embeds_ipv4=True
    ),
    _block("100::/64", "a discard-only address", "RFC 6666"),
    _block("2001::/32", "a Teredo address", "RFC 4380"),
    _block("2001:2::/48", "a benchmarking address", "RFC 5180"),
    _block("2001::/23", "an IETF protocol assignment (2001::/23)", "RFC 2928"),
    _block("2001:db8::/32", "a documentation address", "RFC 3849"),
    _block("2002::/16", "a 6to4 address", "RFC 7526"),
    _block("3fff::/20", "a documentation address", "RFC 9637"),
    _block("5f00::/16", "an SRv6 SID address", "RFC 9602"),
    _block("fc00::/7", "a unique local address (fc00::/7)", "RFC 4193", private=True),
    _block("fe80::/10", "a link-local address", "RFC 4291 §2.5.6"),
    _block("fec0::/10", "a deprecated site-local address", "RFC 3879"),
    _block("ff00::/8", "a multicast address", "RFC 4291 §2.7"),
)


def special_block(address: IPAddress) -> SpecialBlock | None:
    """The first block of :data:`SPECIAL_BLOCKS` holding ``address``, if any."""
    for block in SPECIAL_BLOCKS:
        if block.network.version == address.version and address in block.network:
            return block
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def shown(address: IPAddress) -> str:
    """``address`` as people write it: an IPv4-mapped one with its IPv4 part dotted."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def parse_allowed_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``validation_allowed_networks`` as networks; refuses an entry that is only an
    unspecified address (nothing allows 0.0.0.0 or ::, so such an entry is a mistake)."""
    networks: list[IPNetwork] = []
    for value in values:
        try:
            network = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or CIDR block") from None
        if network.num_addresses == 1 and network.network_address in _UNSPECIFIED:
            raise ValueError(
                f"{value!r} names the unspecified address, which validation never connects to"
            )
        networks.append(network)
    return tuple(networks)


class AddressPolicy:
    """Decides whether a validation may connect to one address and port (see the module
    docstring). Built once per VA from its settings; keeps no per-call state."""

    def __init__(
        self,
        allowed_networks: Iterable[str] = (),
        own_listeners: Iterable[tuple[str, int]] = (),
    ) -> None:
        self._allowed = parse_allowed_networks(allowed_networks)
        self._listeners = tuple(
            (ipaddress.ip_address(host), int(port)) for host, port in own_listeners
        )

    def refusal(self, address: IPAddress, port: int, network: ValidationNetwork) -> str | None:
        """Why a validation may not connect to ``address``:``port`` (None: it may). The
        reason completes "ADDRESS is ...", e.g. "a loopback address, refused by the ...".
        """
        why = self._address_refusal(address, network)
        if why is not None:
            return f"{why}, refused by the validation network policy ({network})"
        if self._is_own_listener(address, port):
            return f"where acmehub itself listens (port {port}), refused for validation"
        return None

    def _address_refusal(self, address: IPAddress, network: ValidationNetwork) -> str | None:
        if address in _UNSPECIFIED:
            return "the unspecified address"
        block = special_block(address)
        inner = (
            _embedded_ipv4(address)
            if block is not None
            and block.embeds_ipv4
            and isinstance(address, ipaddress.IPv6Address)
            else None
        )
        if block is not None and inner in _UNSPECIFIED:
            # Checked before the allowed networks: nothing allows the unspecified address.
            return f"{block.what} of 0.0.0.0, which is the unspecified address"
        if any(address.version == n.version and address in n for n in self._allowed):
            return None
        if block is None:
            return None
        if inner is not None:
            why = self._address_refusal(inner, network)
            if why is not None:
                return f"{block.what} of {inner}, which is {why}"
            if block.transparent:
                return None
        if block.private and network is ValidationNetwork.INTERNAL:
            return None
        return f"{block.what} ({block.source})"

    def _is_own_listener(self, address: IPAddress, port: int) -> bool:
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        for host, listen_port in self._listeners:
            if listen_port != port:
                continue
            if host in _UNSPECIFIED:
                # A wildcard bind listens on every local address (both families on Linux).
                if any(_is_local(a) for a in candidates):
                    return True
            elif host in candidates:
                return True
        return False


def _is_local(address: IPAddress) -> bool:
    """Whether ``address`` belongs to this machine: the kernel lets us bind to it."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind((str(address), 0))
    except OSError:
        return False
    return True


def screen(
    ctx: CheckContext,
    policy: AddressPolicy,
    addresses: list[IPAddress],
    port: int,
    *,
    what: str,
    resolved: bool,
) -> list[IPAddress]:
    """The addresses of ``addresses`` a validation may connect to on ``port``; each refused one
    is noted for the operator. When none is left the challenge fails: ``dns`` when the
    addresses came from a lookup (nothing acceptable was resolved), else ``connection``
    (a literal address in a URL). ``what`` names the step, e.g. "Fetching URL"."""
    acceptable: list[IPAddress] = []
    reasons: list[str] = []
    for address in addresses:
        why = policy.refusal(address, port, ctx.task.validation_network)
        if why is None:
            acceptable.append(address)
        else:
            reasons.append(f"{shown(address)} is {why}")
            ctx.note(f"{what}: {shown(address)} is {why}")
    if acceptable:
        return acceptable
    if resolved:
        raise ctx.fail(
            ErrorKind.DNS,
            f"DNS problem: {what}: no address acceptable for validation ({'; '.join(reasons)})",
        )
    raise ctx.fail(ErrorKind.CONNECTION, f"{what}: {'; '.join(reasons)}")
