"""CaRegistry: CA backends registered by type name, built once per authority configuration."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from acmehub.ca.embedded import EmbeddedCa, PassphraseLookup, no_passphrases
from acmehub.ca.embedded.sealing import Kek
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Authority
from acmehub.domain.ports import CaBackend


@dataclass(frozen=True)
class BackendContext:
    """What a backend factory gets besides the Authority: deployment facts and secrets."""

    #: CRL distribution point URL for this authority (None: certificates name no CRL).
    crl_url: str | None
    #: Resolves the environment variable named in the config to a key passphrase.
    passphrase_lookup: PassphraseLookup
    #: This machine's key-encryption key for CA keys held in the database (None: none set).
    kek: Kek | None = None


#: Builds the backend for an authority; raise DomainError for a bad configuration.
BackendFactory = Callable[[Authority, BackendContext], CaBackend]


def _no_crl_url(authority: Authority) -> str | None:
    return None


def embedded_factory(authority: Authority, context: BackendContext) -> CaBackend:
    return EmbeddedCa(
        authority.config,
        crl_url=context.crl_url,
        passphrase_lookup=context.passphrase_lookup,
        authority_uuid=authority.uuid,
        key_material=authority.key_material,
        kek=context.kek,
    )


class CaRegistry:
    """Implements the CaBackends port.

    ``crl_url_for`` gives each authority's CRL URL (the composition root knows the public base
    URL); ``passphrase_lookup`` resolves key passphrases (bootstrap passes
    ``environ_passphrases(os.environ)``); ``kek`` opens CA keys held in the database. The
    "embedded" type is registered from the start.
    A backend is built once and reused until the authority's type, config or CRL URL changes.
    """

    def __init__(
        self,
        *,
        passphrase_lookup: PassphraseLookup = no_passphrases,
        crl_url_for: Callable[[Authority], str | None] = _no_crl_url,
        kek: Kek | None = None,
    ) -> None:
        self._passphrase_lookup = passphrase_lookup
        self._kek = kek
        self._crl_url_for = crl_url_for
        self._factories: dict[str, BackendFactory] = {"embedded": embedded_factory}
        self._cache: dict[str, tuple[str, CaBackend]] = {}
        self._lock = threading.Lock()

    def register(self, kind: str, factory: BackendFactory, *, replace: bool = False) -> None:
        if kind in self._factories and not replace:
            raise DomainError(ErrorKind.CONFLICT, f"CA backend type {kind!r} is already registered")
        with self._lock:
            self._factories[kind] = factory
            # Backends built by the previous factory are stale.
            self._cache = {
                uuid: entry
                for uuid, entry in self._cache.items()
                if not entry[0].startswith(json.dumps(kind) + "|")
            }

    @property
    def kinds(self) -> tuple[str, ...]:
        """Registered type names, sorted."""
        return tuple(sorted(self._factories))

    def for_authority(self, authority: Authority) -> CaBackend:
        factory = self._factories.get(authority.kind)
        if factory is None:
            raise DomainError(
                ErrorKind.SERVER_INTERNAL,
                f"authority {authority.name!r} ({authority.uuid}) has CA type {authority.kind!r}, "
                f"which is not registered; known types: {', '.join(self.kinds)}",
            )
        crl_url = self._crl_url_for(authority)
        fingerprint = _fingerprint(authority, crl_url)
        with self._lock:
            cached = self._cache.get(authority.uuid)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
            backend = self._build(factory, authority, crl_url)
            # One entry per authority: a changed configuration replaces the old backend.
            self._cache[authority.uuid] = (fingerprint, backend)
            return backend

    def forget(self, authority_uuid: str) -> None:
        """Drop the cached backend (e.g. after the authority was deleted or its files replaced)."""
        with self._lock:
            self._cache.pop(authority_uuid, None)

    def _build(
        self, factory: BackendFactory, authority: Authority, crl_url: str | None
    ) -> CaBackend:
        context = BackendContext(
            crl_url=crl_url, passphrase_lookup=self._passphrase_lookup, kek=self._kek
        )
        try:
            return factory(authority, context)
        except DomainError:
            raise
        except Exception as exc:
            raise DomainError(
                ErrorKind.SERVER_INTERNAL,
                f"cannot set up CA backend {authority.kind!r} for authority {authority.name!r}: "
                f"{exc}",
            ) from exc


def _fingerprint(authority: Authority, crl_url: str | None) -> str:
    config = json.dumps(authority.config, sort_keys=True, default=str)
    keys = json.dumps(authority.key_material, sort_keys=True, default=str)
    return f"{json.dumps(authority.kind)}|{crl_url!r}|{config}|{keys}"
