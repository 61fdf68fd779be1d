"""The Public Suffix List, as shipped in the pinned ``publicsuffixlist`` package.

Only the list's ICANN section counts, as in Boulder (``iana.ExtractSuffix``): ``co.uk`` and
``com`` are public suffixes, a private registration such as ``github.io`` is not, so
``*.github.io`` may be ordered (its owner can prove control of it). A top-level label that is
not on the list (``internal``, ``corp``) is no public suffix either: an enterprise CA issues for
such private zones. Nothing is downloaded at run time; the list changes when the package's pin
does (``acmehub --version`` shows which list is in use).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources

from publicsuffixlist import PublicSuffixList

_PACKAGE = "publicsuffixlist"
_DATA_FILE = "public_suffix_list.dat"


@dataclass(frozen=True)
class PublicSuffixes:
    """Read-only: whether a name is itself a public suffix (ICANN section only)."""

    suffixes: PublicSuffixList
    #: The list's own ``// VERSION:`` line, e.g. "2026-10-22_08-36-41_UTC".
    list_version: str
    package_version: str

    def is_public(self, name: str) -> bool:
        """``name`` (lower-case A-labels, no trailing dot) is a suffix under the ICANN rules."""
        return bool(self.suffixes.is_public(name))

    def describe(self) -> str:
        return f"{_PACKAGE} {self.package_version} (list {self.list_version}, ICANN section)"


@cache
def bundled_public_suffixes() -> PublicSuffixes:
    """The list shipped with the package, parsed once per process (about 20 ms).

    A constant table like a compiled pattern, not mutable state: caching it is no singleton of
    the kind the architecture guide warns about (engine, settings, app)."""
    text = resources.files(_PACKAGE).joinpath(_DATA_FILE).read_text(encoding="utf-8")
    version = next(
        (
            line.split(":", 1)[1].strip()
            for line in text.splitlines()[:50]
            if line.startswith("// VERSION:")
        ),
        "unknown",
    )
    return PublicSuffixes(
        # accept_unknown=False: a top-level label missing from the list is not a suffix.
        suffixes=PublicSuffixList(text.splitlines(), only_icann=True, accept_unknown=False),
        list_version=version,
        package_version=metadata.version(_PACKAGE),
    )
