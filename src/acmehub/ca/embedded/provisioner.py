"""EmbeddedProvisioner: makes and imports embedded Authorities held in the database
(implements the CaProvisioner port)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from acmehub.ca.embedded.cross_sign import cross_sign_stored
from acmehub.ca.embedded.keys import KEY_TYPES
from acmehub.ca.embedded.sealing import Kek
from acmehub.ca.embedded.stored import create_stored_authority, import_stored_authority
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.ports import ProvisionedCa


class EmbeddedProvisioner:
    """Keys are sealed under ``kek`` (None: this machine has no key-encryption key, and
    creating an Authority says how to configure one)."""

    def __init__(self, kek: Kek | None, now: Callable[[], datetime]) -> None:
        self._kek = kek
        self._now = now

    def _require_kek(self) -> Kek:
        if self._kek is None:
            raise DomainError(
                ErrorKind.INVALID_INPUT,
                "this machine has no key-encryption key for CA keys: run `acmehub init`, or "
                "set ca_kek_file (or the ca_kek_env variable) to the deployment's KEK",
            )
        return self._kek

    def create(self, authority_uuid: str, name: str, key_type: str) -> ProvisionedCa:
        if key_type not in KEY_TYPES:
            raise DomainError(
                ErrorKind.INVALID_INPUT,
                f"keyType must be one of {', '.join(KEY_TYPES)}",
                status=422,
            )
        made = create_stored_authority(
            authority_uuid, name=name, key_type=key_type, kek=self._require_kek(), now=self._now()
        )
        return ProvisionedCa(made.config, made.key_material)

    def cross_sign(
        self, authority_uuid: str, config: dict[str, Any], key_material: dict[str, Any]
    ) -> ProvisionedCa:
        made = cross_sign_stored(
            authority_uuid, config, key_material, kek=self._require_kek(), now=self._now()
        )
        return ProvisionedCa(made.config, made.key_material)

    def import_ca(
        self,
        authority_uuid: str,
        name: str,
        cert_pem: str,
        key_pem: str,
        chain_pem: str,
        passphrase: bytes | None,
    ) -> ProvisionedCa:
        # ``passphrase`` opens the uploaded key; the stored copy is sealed under the KEK.
        made = import_stored_authority(
            authority_uuid,
            cert_pem,
            key_pem,
            chain_pem,
            passphrase,
            kek=self._require_kek(),
            now=self._now(),
        )
        return ProvisionedCa(made.config, made.key_material)
