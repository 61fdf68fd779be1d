"""SQLAlchemy Core table definitions: the schema Alembic migrations create."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from acmehub.storage.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

authorities = Table(
    "authorities",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(50), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("config", JSON, nullable=False),
    # The backend's secrets (sealed CA keys); NULL for none.
    Column("key_material", JSON),
)

acme_profiles = Table(
    "acme_profiles",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("terms_of_service_url", Text),
    Column("website_url", Text),
    Column("caa_identities", JSON, nullable=False),
    Column("dns_resolver_ip", String(64)),
    Column("dns_resolver_port", Integer),
    Column("retry_interval", Integer, nullable=False),
    Column("validity", Integer, nullable=False),
    Column("terms_of_service_change_disable", Boolean, nullable=False),
    Column("terms_of_service_change_url", Text),
    Column("terms_of_service_changed_at", UtcDateTime),
    Column("require_contact", Boolean, nullable=False),
    Column("require_terms_of_service", Boolean, nullable=False),
    Column("require_external_account_binding", Boolean, nullable=False),
    Column("default_ra_profile_uuid", String(36), ForeignKey("ra_profiles.uuid", use_alter=True)),
    Column("issue_certificate_attributes", JSON, nullable=False),
    Column("revoke_certificate_attributes", JSON, nullable=False),
    Column("custom_attributes", JSON, nullable=False),
    Column("certificate_associations", JSON, nullable=False),
    # Where validations may connect: "internal" or "public" (issue 15).
    Column("validation_network", String(16), nullable=False, server_default="internal"),
    # RFC 8659 CAA checking and DNSSEC for CAA/dns-01 lookups (migration 0011).
    Column("caa_checking", Boolean, nullable=False, server_default=true()),
    Column("dnssec_required", Boolean, nullable=False, server_default=false()),
    # dns-account-01 and dns-persist-01 offered (migration 0017).
    Column("offer_dns_account_01", Boolean, nullable=False, server_default=false()),
    Column("offer_dns_persist_01", Boolean, nullable=False, server_default=false()),
    # newAuthz, RFC 9444 subdomain authorizations, authorization reuse seconds (migration 0016).
    Column("new_authz_enabled", Boolean, nullable=False, server_default=false()),
    Column("subdomain_auth_allowed", Boolean, nullable=False, server_default=false()),
    Column("authorization_reuse", Integer, nullable=False, server_default="0"),
    # RFC 9773 renewal information (migration 0013).
    Column("renewal_info", Boolean, nullable=False, server_default=true()),
    Column("renewal_info_retry_after", Integer, nullable=False, server_default="21600"),
)

ra_profiles = Table(
    "ra_profiles",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("authority_uuid", String(36), ForeignKey("authorities.uuid"), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("validity_default", Integer, nullable=False),
    Column("validity_max", Integer, nullable=False),
    Column("acme_profile_uuid", String(36), ForeignKey("acme_profiles.uuid")),
    Column("acme_issue_attributes", JSON, nullable=False),
    Column("acme_revoke_attributes", JSON, nullable=False),
    Column("policy", JSON, nullable=False, server_default="{}"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    # RFC 8555 §7.3.1: one account per key on this server, whatever the profile.
    Column("key_thumbprint", String(64), nullable=False, unique=True),
    Column("jwk", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("contact", JSON, nullable=False),
    Column("terms_of_service_agreed", Boolean, nullable=False),
    Column("tos_agreed_at", UtcDateTime),
    Column("acme_profile_uuid", String(36), ForeignKey("acme_profiles.uuid"), nullable=False),
    Column("ra_profile_uuid", String(36), ForeignKey("ra_profiles.uuid"), nullable=False),
    Column("via_default_ra_profile", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("eab_key_id", String(200)),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("identifiers", JSON, nullable=False),
    Column("authorization_ids", JSON, nullable=False),
    Column("expires", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("not_before", UtcDateTime),
    Column("not_after", UtcDateTime),
    Column("error", JSON),
    Column("certificate_id", String(64)),
    Column("acme_profile_uuid", String(36), nullable=False),
    Column("ra_profile_uuid", String(36), nullable=False),
    Column("csr_der", LargeBinary),
    # The certificate profile's name (draft-ietf-acme-profiles); NULL: none was offered.
    Column("profile", String(64)),
    # RFC 9773 §5: the certID of the certificate the order replaces (migration 0013).
    Column("replaces", String(200), index=True),
)
Index("ix_orders_status_updated", orders.c.status, orders.c.updated_at)

authorizations = Table(
    "authorizations",
    metadata,
    Column("id", String(64), primary_key=True),
    # NULL for a pre-authorization (newAuthz, RFC 8555 §7.4.1; migration 0016).
    Column("order_id", String(64), ForeignKey("orders.id"), nullable=True, index=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False),
    Column("identifier_type", String(10), nullable=False),
    Column("identifier_value", String(255), nullable=False),
    Column("wildcard", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("expires", UtcDateTime, nullable=False),
    # RFC 9444 §4.1, and the profiles it was made through (migration 0016).
    Column("subdomain_auth_allowed", Boolean, nullable=False, server_default=false()),
    Column("acme_profile_uuid", String(36)),
    Column("ra_profile_uuid", String(36)),
)
Index(
    "ix_authorizations_account_value",
    authorizations.c.account_id,
    authorizations.c.identifier_value,
    authorizations.c.status,
)

challenges = Table(
    "challenges",
    metadata,
    Column("id", String(64), primary_key=True),
    Column(
        "authorization_id", String(64), ForeignKey("authorizations.id"), nullable=False, index=True
    ),
    Column("type", String(20), nullable=False),
    Column("token", String(128), nullable=False),
    Column("status", String(20), nullable=False),
    Column("validated", UtcDateTime),
    Column("error", JSON),
    Column("lease_owner", String(100)),
    Column("lease_until", UtcDateTime),
)
Index("ix_challenges_status_lease", challenges.c.status, challenges.c.lease_until)

certificates = Table(
    "certificates",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("serial_hex", String(64), nullable=False, unique=True),
    # One certificate per order, enforced by the database.
    Column("order_id", String(64), ForeignKey("orders.id"), nullable=False, unique=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("pem", Text, nullable=False),
    Column("chain_pem", Text, nullable=False),
    Column("names", JSON, nullable=False),
    Column("not_before", UtcDateTime, nullable=False),
    Column("not_after", UtcDateTime, nullable=False),
    Column("ra_profile_uuid", String(36), nullable=False),
    Column("acme_profile_uuid", String(36), nullable=False),
    Column("authority_uuid", String(36), nullable=False, index=True),
    Column("key_thumbprint", String(64), nullable=False, index=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("revocation_reason", Integer),
    Column("associations", JSON, nullable=False, server_default="{}"),
    # RFC 9773: an administrator moved the renewal window into the past (migration 0013).
    Column("renewal_moved_at", UtcDateTime),
    Column("renewal_explanation_url", Text),
)
Index("ix_certificates_not_after", certificates.c.not_after)

#: Keys that may no longer be used (a certificate with the key was revoked for keyCompromise),
#: by SHA-256 of the DER SubjectPublicKeyInfo: refused as account keys and in CSRs.
blocked_keys = Table(
    "blocked_keys",
    metadata,
    Column("spki_sha256", String(64), primary_key=True),
    Column("blocked_at", UtcDateTime, nullable=False),
    Column("blocked_by", String(200), nullable=False),
    # No foreign key: the entry outlives the certificate row.
    Column("certificate_id", String(64)),
)

#: Nonces that were USED (each one once): issued nonces are signed, not stored.
nonces = Table(
    "nonces",
    metadata,
    Column("value", String(64), primary_key=True),
    Column("expires", UtcDateTime, nullable=False, index=True),
)

#: Secrets every server process shares through the database (e.g. the nonce signing key).
server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

#: Counters bumped by every transaction that changes what they name ("profiles": ACME
#: profiles, RA profiles and Authorities), so that any process can tell whether what it
#: cached is still current (services.context.ContextCache).
change_counters = Table(
    "change_counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

eab_keys = Table(
    "eab_keys",
    metadata,
    Column("key_id", String(100), primary_key=True),
    Column(
        "acme_profile_uuid",
        String(36),
        ForeignKey("acme_profiles.uuid"),
        nullable=False,
        index=True,
    ),
    Column("hmac_key", LargeBinary, nullable=False),
    Column("algorithm", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("reusable", Boolean, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("used_count", Integer, nullable=False),
    Column("description", Text, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("expires_at", UtcDateTime),
    # Space-separated, as OAuth writes scopes (RFC 6749 §3.3); NULL: the role's whole reach.
    Column("scopes", String(1000)),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False, index=True),
    Column("object_type", String(50), nullable=False),
    Column("object_id", String(100), nullable=False, index=True),
    Column("outcome", String(20), nullable=False),
    Column("detail", JSON, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_sign_in_at", UtcDateTime),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    # SHA-256 hex of the cookie's secret: the secret itself is never stored.
    Column("id_hash", String(64), primary_key=True),
    Column("user_uuid", String(36), ForeignKey("users.uuid"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

#: The sign-in throttle (services/sign_in_throttle.py): failed sign-ins in a row per key,
#: "user:<name>" or "address:<ip>"; a user key's lock-out lasts until an admin clears it.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(150), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UtcDateTime, nullable=False),
    Column("locked_at", UtcDateTime),
)

#: Certificate profiles (draft-ietf-acme-profiles) an RA profile offers: the directory's
#: meta.profiles and new-order's ``profile``. NULL validity / max_names and an empty EKU list
#: fall back to the RA profile's (domain/certificate_profiles.py).
certificate_profiles = Table(
    "certificate_profiles",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column(
        "ra_profile_uuid",
        String(36),
        ForeignKey("ra_profiles.uuid", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("name", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("validity", Integer),
    Column("crl_distribution_point", Boolean, nullable=False),
    Column("extended_key_usages", JSON, nullable=False),
    Column("common_name", Boolean, nullable=False),
    Column("max_names", Integer),
    UniqueConstraint("ra_profile_uuid", "name", name="uq_certificate_profiles_ra_profile_name"),
)
