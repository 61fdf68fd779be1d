"""Anti-replay nonces (RFC 8555 §6.5): in one process's memory, or shared through the database.

SqlNonceStore serves `serve --processes N`: issuing a nonce writes nothing (a nonce is 9
random bytes, its expiry time and an HMAC over both, under a key all processes read from the
database); using one records it in the ``nonces`` table, whose primary key makes the second
use of the same nonce fail, in any process. Used nonces are kept only until they would have
expired anyway. ProcessNonceStore serves a single server process without any I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
import secrets
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from acmehub.domain.ports import Clock
from acmehub.storage import tables as t
from acmehub.storage.engine import WriteGate
from acmehub.storage.statements import Prepared, insert_of

#: The name of the nonce signing key in server_secrets (set-up creates it).
NONCE_KEY_NAME = "nonce-hmac-sha256"
_KEY_NAME = NONCE_KEY_NAME
_LEADING_BYTES = 9
_EXPIRY_BYTES = 5  # seconds since the epoch, big-endian: good until the year 36812
_MAC = 10
_LENGTH = _LEADING_BYTES + _EXPIRY_BYTES + _MAC  # 24 bytes -> 32 base64url characters


def _seal(key: bytes, body: bytes) -> str:
    """``body`` (leading bytes, then the expiry) and its HMAC, base64url: a nonce."""
    mac = hmac.new(key, body, hashlib.sha256).digest()[:_MAC]
    return base64.urlsafe_b64encode(body + mac).decode("ascii")


def _open(key: bytes, nonce: str, now: datetime) -> bytes | None:
    """The body of a nonce sealed with ``key`` that has not expired; None for anything else."""
    if len(nonce) != _LENGTH * 4 // 3:
        return None
    try:
        raw = base64.urlsafe_b64decode(nonce.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    body, mac = raw[: _LEADING_BYTES + _EXPIRY_BYTES], raw[_LEADING_BYTES + _EXPIRY_BYTES :]
    if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()[:_MAC]):
        return None
    if _expiry(body) <= now:
        return None
    return body


def _expiry(body: bytes) -> datetime:
    return datetime.fromtimestamp(int.from_bytes(body[_LEADING_BYTES:], "big"), UTC)


def _body(leading: bytes, expires: datetime) -> bytes:
    """What a nonce seals: its leading bytes, then its expiry in whole seconds."""
    return leading + int(expires.timestamp()).to_bytes(_EXPIRY_BYTES, "big")


def seal_counter(key: bytes, counter: int, expires: datetime) -> str:
    """A nonce whose leading bytes are a counter (the stores that remember used counters)."""
    return _seal(key, _body(counter.to_bytes(_LEADING_BYTES, "big"), expires))


def open_counter(key: bytes, nonce: str, now: datetime) -> int | None:
    """The counter of a nonce sealed by :func:`seal_counter`; None as :func:`_open`."""
    body = _open(key, nonce, now)
    return None if body is None else int.from_bytes(body[:_LEADING_BYTES], "big")


#: Recording a used nonce happens on every POST with several server processes: prepared.
_RECORD_USED = Prepared(insert_of(t.nonces))


class SqlNonceStore:
    def __init__(self, gate: WriteGate, clock: Clock, lifetime: timedelta) -> None:
        self._gate = gate
        self._clock = clock
        self._lifetime = lifetime
        self._key: bytes | None = None
        self._postgres = gate.engine.dialect.name == "postgresql"

    def _signing_key(self) -> bytes:
        # No lock: in the event loop a lock held across a database wait would stop the loop
        # (the next request would wait for it in the loop's own thread). Two first callers both
        # load; they read the same committed key (the loser of the insert reads the winner's).
        if self._key is None:
            self._key = self._load_or_create_key()
        return self._key

    def _load_or_create_key(self) -> bytes:
        query = select(t.server_secrets.c.value).where(t.server_secrets.c.name == _KEY_NAME)
        with self._gate.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        if found is not None:
            return bytes(found)
        try:
            with self._gate.transaction() as conn:
                conn.execute(
                    t.server_secrets.insert().values(name=_KEY_NAME, value=secrets.token_bytes(32))
                )
        except IntegrityError:
            pass  # another process created it first
        with self._gate.connect() as conn:
            return bytes(conn.execute(query).scalar_one())

    def issue(self) -> str:
        body = _body(secrets.token_bytes(_LEADING_BYTES), self._clock.now() + self._lifetime)
        return _seal(self._signing_key(), body)

    def consume(self, nonce: str) -> bool:
        body = _open(self._signing_key(), nonce, self._clock.now())
        if body is None:
            return False
        values = {"value": nonce, "expires": _expiry(body)}
        try:
            if self._postgres:
                with self._gate.autocommit() as conn:
                    _RECORD_USED.run(conn, values)
            else:
                with self._gate.transaction() as conn:
                    _RECORD_USED.run(conn, values)
        except IntegrityError:
            return False  # used before, here or in another process
        return True

    def purge_expired(self, limit: int = 10000) -> int:
        with self._gate.transaction() as conn:
            expired = (
                t.nonces.select()
                .with_only_columns(t.nonces.c.value)
                .where(t.nonces.c.expires <= self._clock.now())
                .limit(limit)
                .scalar_subquery()
            )
            result = conn.execute(delete(t.nonces).where(t.nonces.c.value.in_(expired)))
        return result.rowcount


class ProcessNonceStore:
    """Nonces of one server process, kept in its memory: issuing and using one touch no disk.

    A nonce is a counter, its expiry time and an HMAC over both under a key drawn when the
    process starts; a restart forgets the key, so nonces of an earlier process are refused
    (the client retries with the fresh nonce of that refusal, RFC 8555 §6.5). Used counters
    are remembered; past ``max_used`` of them the oldest are dropped and every nonce at or
    below it is refused from then on (a bounded memory instead of a record per request).
    """

    def __init__(self, clock: Clock, lifetime: timedelta, max_used: int = 65536) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._max_used = max_used
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._counter = 0
        self._floor = 0  # counters at or below it are refused
        self._used: set[int] = set()
        self._used_order: list[int] = []  # a heap of the used counters

    def issue(self) -> str:
        with self._lock:
            self._counter += 1
            counter = self._counter
        return seal_counter(self._key, counter, self._clock.now() + self._lifetime)

    def consume(self, nonce: str) -> bool:
        counter = open_counter(self._key, nonce, self._clock.now())
        if counter is None:
            return False
        with self._lock:
            if counter <= self._floor or counter in self._used:
                return False
            self._used.add(counter)
            heapq.heappush(self._used_order, counter)
            while len(self._used) > self._max_used:
                self._floor = heapq.heappop(self._used_order)
                self._used.discard(self._floor)
        return True

    def purge_expired(self, limit: int = 10000) -> int:
        return 0  # nothing is stored: memory is bounded by max_used
