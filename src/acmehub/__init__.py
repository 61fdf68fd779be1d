"""acmehub: an ACME server (RFC 8555) and a small certificate-management platform."""

__version__ = "0.1.0"
