"""The validation authority (VA): checks one challenge, returns a result, writes no state.

Built once by the composition root::

    va = ValidationAuthority(VaSettings(http01_port=80, tlsalpn01_port=443, timeout=10))
    result = await va.validate(task)  # never raises; result.problem is None when valid
"""

from __future__ import annotations

from acmehub.validation.common import ChallengeError, CheckContext
from acmehub.validation.dns01 import Dns01Checker, expected_txt
from acmehub.validation.http01 import Http01Checker
from acmehub.validation.registry import ChallengeChecker, ValidationAuthority, default_checkers
from acmehub.validation.settings import VaSettings
from acmehub.validation.tlsalpn01 import TlsAlpn01Checker, acme_identifier_value

__all__ = [
    "ChallengeChecker",
    "ChallengeError",
    "CheckContext",
    "Dns01Checker",
    "Http01Checker",
    "TlsAlpn01Checker",
    "VaSettings",
    "ValidationAuthority",
    "acme_identifier_value",
    "default_checkers",
    "expected_txt",
]
