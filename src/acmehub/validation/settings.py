"""Settings of the validation authority (VA), passed down by the composition root."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from acmehub.validation.address_policy import parse_allowed_networks


@dataclass(frozen=True)
class VaSettings:
    """How the VA reaches the names it validates.

    Every field has a production default; tests shrink the timeouts and move the ports.
    """

    #: Port of the first http-01 request (RFC 8555 §8.3 says 80). Also allowed as a redirect
    #: target port, so that deployments and tests on unprivileged ports keep working.
    http01_port: int = 80
    #: Port of the tls-alpn-01 handshake (RFC 8737 §3 says 443). Also allowed as a redirect
    #: target port for http-01.
    tlsalpn01_port: int = 443
    #: Seconds allowed for each network step: one DNS query (its whole lifetime), a TCP connect,
    #: a TLS handshake, each HTTP read, and reading one whole HTTP body.
    timeout: float = 10.0
    #: Seconds one whole validation may take (every DNS query, redirect and read together), so
    #: that a worker's lease can be sized: a slow target fails instead of stalling the worker.
    total_timeout: float = 60.0
    #: Bytes of an http-01 body we read at most. A key authorization is ~87 bytes
    #: (RFC 8555 §8.1: token "." base64url thumbprint); 1 KiB leaves room for trailing
    #: whitespace, which RFC 8555 §8.3 tells us to ignore, and nothing else.
    max_http_body_bytes: int = 1024
    #: Redirects followed per http-01 validation before giving up (Let's Encrypt: 10).
    max_redirects: int = 10
    #: Resolver used when a task names none (its ACME profile has no dns_resolver_ip).
    #: None means the system's resolver (/etc/resolv.conf).
    resolver_ip: str | None = None
    resolver_port: int = 53
    #: Try the first IPv6 address before the first IPv4 one (Let's Encrypt practice); the other
    #: family is tried only when connecting fails.
    prefer_ipv6: bool = True
    user_agent: str = "acmehub-va/1 (+RFC 8555)"
    #: Networks (CIDR) that validations may connect to although the address policy would
    #: refuse them (``validation_allowed_networks``); loopback test set-ups name 127.0.0.0/8.
    #: The unspecified addresses 0.0.0.0 and :: stay refused.
    allowed_networks: tuple[str, ...] = ()
    #: Where acmehub itself listens, (IP address, port): never a validation target. An
    #: unspecified address (0.0.0.0, ::) stands for every local address on that port.
    own_listeners: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        for field_name in ("http01_port", "tlsalpn01_port", "resolver_port"):
            port = getattr(self, field_name)
            if not 0 < port < 65536:
                raise ValueError(f"VaSettings.{field_name} must be a TCP/UDP port, not {port}")
        if self.timeout <= 0 or self.total_timeout <= 0:
            raise ValueError("VaSettings.timeout and total_timeout must be positive")
        if self.max_http_body_bytes < 128:
            raise ValueError("VaSettings.max_http_body_bytes must be at least 128")
        if self.max_redirects < 0:
            raise ValueError("VaSettings.max_redirects must not be negative")
        try:
            parse_allowed_networks(self.allowed_networks)
        except ValueError as exc:
            raise ValueError(f"VaSettings.allowed_networks: {exc}") from None
        for host, port in self.own_listeners:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise ValueError(
                    f"VaSettings.own_listeners: {host!r} is not an IP address"
                ) from None
            if not 0 < port < 65536:
                raise ValueError(f"VaSettings.own_listeners: {port} is not a TCP port")

    @property
    def redirect_ports(self) -> frozenset[int]:
        """Ports an http-01 redirect may point to: 80 and 443 (Let's Encrypt) plus ours."""
        return frozenset({80, 443, self.http01_port, self.tlsalpn01_port})
