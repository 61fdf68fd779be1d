"""The embedded CA: a root and an intermediate whose keys acmehub holds on local disk."""

from __future__ import annotations

from acmehub.ca.embedded.authority import (
    DEFAULT_PASSPHRASE_ENV,
    create_embedded_authority,
    import_embedded_authority,
)
from acmehub.ca.embedded.backend import EmbeddedCa, issue_tls_server_certificate
from acmehub.ca.embedded.keys import KeyType, PassphraseLookup, environ_passphrases, no_passphrases

__all__ = [
    "DEFAULT_PASSPHRASE_ENV",
    "EmbeddedCa",
    "KeyType",
    "PassphraseLookup",
    "create_embedded_authority",
    "environ_passphrases",
    "import_embedded_authority",
    "issue_tls_server_certificate",
    "no_passphrases",
]
