"""The validation address policy (issue 15 §1): which addresses http-01 and tls-alpn-01 may
connect to under each profile policy, what the allowed networks open, and what nothing opens."""

from __future__ import annotations

import ipaddress

import pytest

from acmehub.config import ConfigError, load_settings
from acmehub.domain.model import ValidationNetwork
from acmehub.validation import VaSettings
from acmehub.validation.address_policy import SPECIAL_BLOCKS, AddressPolicy, special_block

INTERNAL = ValidationNetwork.INTERNAL
PUBLIC = ValidationNetwork.PUBLIC

#: (address, reason fragment): refused under both policies, with no allowed networks.
ALWAYS_REFUSED = [
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.254", "a loopback address"),
    ("::1", "a loopback address"),
    ("0.0.0.0", "the unspecified address"),
    ("::", "the unspecified address"),
    ("0.1.2.3", "'this network'"),
    ("169.254.169.254", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("224.0.0.1", "a multicast address"),
    ("ff02::1", "a multicast address"),
    ("255.255.255.255", "the limited broadcast address"),
    ("240.0.0.1", "a reserved address"),
    ("192.0.0.8", "an IETF protocol assignment"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("198.18.0.1", "a benchmarking address"),
    ("192.88.99.1", "6to4 relay"),
    ("2001:db8::1", "a documentation address"),
    ("3fff::1", "a documentation address"),
    ("100::1", "a discard-only address"),
    ("2001:0:4136:e378::1", "a Teredo address"),
    ("2002:7f00:1::1", "a 6to4 address"),
    ("fec0::1", "site-local"),
    ("::7f00:1", "IPv4-compatible"),
    # IPv4 forms carried by IPv6 addresses are judged by the IPv4 address.
    ("::ffff:127.0.0.1", "an IPv4-mapped address of 127.0.0.1, which is a loopback address"),
    ("::ffff:169.254.169.254", "of 169.254.169.254, which is a link-local address"),
    ("::ffff:0.0.0.0", "of 0.0.0.0, which is the unspecified address"),
    ("64:ff9b::7f00:1", "a NAT64 address of 127.0.0.1, which is a loopback address"),
    ("64:ff9b::a9fe:a9fe", "a NAT64 address of 169.254.169.254, which is a link-local"),
    ("64:ff9b:1::a9fe:a9fe", "a local-use NAT64 address of 169.254.169.254"),
]

PRIVATE = [
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.1",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.254",
    "fc00::1",
    "fd12:3456::1",
    "::ffff:10.1.2.3",
    "64:ff9b:1::a01:203",  # local-use NAT64 of 10.1.2.3
]

GLOBAL = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "64:ff9b::808:808"]


def refusal(policy: AddressPolicy, address: str, network: ValidationNetwork, port: int = 80):
    return policy.refusal(ipaddress.ip_address(address), port, network)


@pytest.mark.parametrize(("address", "why"), ALWAYS_REFUSED)
@pytest.mark.parametrize("network", [INTERNAL, PUBLIC])
def test_special_addresses_are_refused_under_both_policies(address, why, network):
    reason = refusal(AddressPolicy(), address, network)

    assert reason is not None, address
    assert why in reason
    assert f"refused by the validation network policy ({network})" in reason


@pytest.mark.parametrize("address", PRIVATE)
def test_private_ranges_are_allowed_internal_refused_public(address):
    policy = AddressPolicy()

    assert refusal(policy, address, INTERNAL) is None
    reason = refusal(policy, address, PUBLIC)
    assert reason is not None
    assert "(public)" in reason


@pytest.mark.parametrize("address", GLOBAL)
@pytest.mark.parametrize("network", [INTERNAL, PUBLIC])
def test_global_addresses_are_allowed(address, network):
    assert refusal(AddressPolicy(), address, network) is None


def test_ipv4_mapped_is_refused_under_public_like_boulder():
    reason = refusal(AddressPolicy(), "::ffff:8.8.8.8", PUBLIC)
    assert reason is not None
    assert "an IPv4-mapped address" in reason


def test_allowed_networks_open_what_they_name_and_nothing_else():
    policy = AddressPolicy(allowed_networks=["127.0.0.0/8", "169.254.0.0/16"])

    assert refusal(policy, "127.0.0.1", PUBLIC) is None
    assert refusal(policy, "127.3.4.5", INTERNAL) is None
    assert refusal(policy, "169.254.169.254", INTERNAL) is None
    assert refusal(policy, "::ffff:127.0.0.1", INTERNAL) is None  # judged by 127.0.0.1
    assert refusal(policy, "::1", INTERNAL) is not None  # not named
    assert refusal(policy, "10.0.0.1", PUBLIC) is not None  # still the profile's rule


def test_nothing_allows_the_unspecified_addresses():
    policy = AddressPolicy(allowed_networks=["0.0.0.0/0", "::/0"])

    assert refusal(policy, "0.0.0.0", INTERNAL) is not None
    assert refusal(policy, "::", INTERNAL) is not None
    assert refusal(policy, "::ffff:0.0.0.0", INTERNAL) is not None
    assert refusal(policy, "127.0.0.1", PUBLIC) is None  # the rest is what was asked for


@pytest.mark.parametrize("entry", ["0.0.0.0", "0.0.0.0/32", "::", "::/128"])
def test_an_allowed_network_of_only_the_unspecified_address_stops_start_up(entry):
    with pytest.raises(ConfigError, match=r"validation_allowed_networks.*unspecified address"):
        load_settings(None, {"ACMEHUB_VALIDATION_ALLOWED_NETWORKS": f"127.0.0.0/8,{entry}"})
    with pytest.raises(ValueError, match="unspecified address"):
        VaSettings(allowed_networks=(entry,))


def test_allowed_networks_setting_is_comma_separated_cidrs():
    settings = load_settings(
        None, {"ACMEHUB_VALIDATION_ALLOWED_NETWORKS": "127.0.0.0/8, 10.1.0.0/16,::1"}
    )
    assert settings.validation_allowed_networks == ("127.0.0.0/8", "10.1.0.0/16", "::1")
    assert load_settings(None, {}).validation_allowed_networks == ()  # strict by default
    with pytest.raises(ConfigError, match=r"validation_allowed_networks.*'nonsense'"):
        load_settings(None, {"ACMEHUB_VALIDATION_ALLOWED_NETWORKS": "nonsense"})


def test_acmehub_own_listener_is_refused_even_when_allowed():
    policy = AddressPolicy(
        allowed_networks=["127.0.0.0/8"], own_listeners=[("127.0.0.1", 8443), ("8.8.8.8", 443)]
    )

    reason = refusal(policy, "127.0.0.1", INTERNAL, port=8443)
    assert reason is not None
    assert "where acmehub itself listens (port 8443)" in reason
    assert refusal(policy, "::ffff:127.0.0.1", INTERNAL, port=8443) is not None
    assert refusal(policy, "8.8.8.8", PUBLIC, port=443) is not None
    assert refusal(policy, "127.0.0.1", INTERNAL, port=80) is None  # another port
    assert refusal(policy, "8.8.4.4", PUBLIC, port=443) is None  # another address


def test_a_wildcard_listener_covers_every_local_address_on_its_port():
    policy = AddressPolicy(allowed_networks=["127.0.0.0/8"], own_listeners=[("0.0.0.0", 8443)])

    assert refusal(policy, "127.0.0.1", INTERNAL, port=8443) is not None
    assert refusal(policy, "127.0.0.2", INTERNAL, port=8443) is not None
    assert refusal(policy, "8.8.8.8", INTERNAL, port=8443) is None  # not this machine's
    assert refusal(policy, "127.0.0.1", INTERNAL, port=80) is None


def test_the_table_is_ordered_narrow_before_wide():
    """A block listed after a wider one that contains it would never name an address."""
    for i, block in enumerate(SPECIAL_BLOCKS):
        for earlier in SPECIAL_BLOCKS[:i]:
            if earlier.network.version == block.network.version:
                assert not block.network.subnet_of(earlier.network), (  # type: ignore[arg-type]
                    f"{block.network} is hidden by {earlier.network}"
                )


def test_the_table_agrees_with_python_on_non_global_addresses():
    """Every address the standard library calls non-global falls in a block of the table
    (spot check at each block's first address and a few well-known ones)."""
    samples = [b.network.network_address for b in SPECIAL_BLOCKS] + [
        ipaddress.ip_address(a) for a in ("192.0.0.170", "198.19.255.255", "2001:10::1")
    ]
    for address in samples:
        if not address.is_global:
            assert special_block(address) is not None, address
