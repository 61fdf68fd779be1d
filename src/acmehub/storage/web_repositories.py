"""Repositories of the web interface: users, their sessions and failed sign-ins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from acmehub.domain.admin_model import Role, SignInFailures, User, WebSession
from acmehub.storage import tables as t

Row = Mapping[Any, Any]


def user_from_row(r: Row) -> User:
    return User(
        uuid=r["uuid"],
        username=r["username"],
        password_hash=r["password_hash"],
        role=Role(r["role"]),
        created_at=r["created_at"],
        disabled=bool(r["disabled"]),
        last_sign_in_at=r["last_sign_in_at"],
    )


def user_to_row(u: User) -> dict[str, Any]:
    return {
        "uuid": u.uuid,
        "username": u.username,
        "password_hash": u.password_hash,
        "role": u.role.value,
        "created_at": u.created_at,
        "disabled": u.disabled,
        "last_sign_in_at": u.last_sign_in_at,
    }


def session_from_row(r: Row) -> WebSession:
    return WebSession(
        id_hash=r["id_hash"],
        user_uuid=r["user_uuid"],
        created_at=r["created_at"],
        last_seen_at=r["last_seen_at"],
        expires_at=r["expires_at"],
    )


def session_to_row(s: WebSession) -> dict[str, Any]:
    return {
        "id_hash": s.id_hash,
        "user_uuid": s.user_uuid,
        "created_at": s.created_at,
        "last_seen_at": s.last_seen_at,
        "expires_at": s.expires_at,
    }


class SqlUsers:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def get(self, uuid: str) -> User | None:
        row = self._c.execute(select(t.users).where(t.users.c.uuid == uuid)).first()
        return user_from_row(row._mapping) if row else None

    def by_username(self, username: str) -> User | None:
        row = self._c.execute(select(t.users).where(t.users.c.username == username)).first()
        return user_from_row(row._mapping) if row else None

    def add(self, user: User) -> None:
        self._c.execute(t.users.insert().values(user_to_row(user)))

    def update(self, user: User) -> None:
        self._c.execute(
            update(t.users).where(t.users.c.uuid == user.uuid).values(user_to_row(user))
        )

    def list(self) -> list[User]:
        rows = self._c.execute(select(t.users).order_by(t.users.c.username))
        return [user_from_row(r._mapping) for r in rows]


class SqlSessions:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def get(self, id_hash: str) -> WebSession | None:
        row = self._c.execute(
            select(t.web_sessions).where(t.web_sessions.c.id_hash == id_hash)
        ).first()
        return session_from_row(row._mapping) if row else None

    def add(self, session: WebSession) -> None:
        self._c.execute(t.web_sessions.insert().values(session_to_row(session)))

    def touch(self, id_hash: str, last_seen_at: datetime) -> None:
        self._c.execute(
            update(t.web_sessions)
            .where(t.web_sessions.c.id_hash == id_hash)
            .values(last_seen_at=last_seen_at)
        )

    def delete(self, id_hash: str) -> None:
        self._c.execute(delete(t.web_sessions).where(t.web_sessions.c.id_hash == id_hash))

    def delete_for_user(self, user_uuid: str) -> int:
        result = self._c.execute(
            delete(t.web_sessions).where(t.web_sessions.c.user_uuid == user_uuid)
        )
        return int(result.rowcount)

    def purge_expired(self, now: datetime, idle_before: datetime, limit: int) -> int:
        c = t.web_sessions.c
        doomed = (
            select(c.id_hash)
            .where(or_(c.expires_at <= now, c.last_seen_at < idle_before))
            .limit(limit)
        )
        ids = [r[0] for r in self._c.execute(doomed)]
        if not ids:
            return 0
        result = self._c.execute(delete(t.web_sessions).where(c.id_hash.in_(ids)))
        return int(result.rowcount)


def failures_from_row(r: Row) -> SignInFailures:
    return SignInFailures(
        key=r["key"],
        failures=int(r["failures"]),
        last_failure_at=r["last_failure_at"],
        locked_at=r["locked_at"],
    )


class SqlSignInFailures:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def get_many(self, keys: Sequence[str]) -> dict[str, SignInFailures]:
        c = t.sign_in_failures.c
        rows = self._c.execute(select(t.sign_in_failures).where(c.key.in_(list(keys))))
        return {r.key: failures_from_row(r._mapping) for r in rows}

    def add_failure(self, key: str, now: datetime, forget_before: datetime) -> SignInFailures:
        # One statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on SQLite and
        # PostgreSQL alike), so two processes counting the same key at once both count.
        table = t.sign_in_failures
        insert_ = pg_insert if self._c.dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert_(table)
            .values(key=key, failures=1, last_failure_at=now, locked_at=None)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": case(
                        (
                            and_(
                                table.c.locked_at.is_(None),
                                table.c.last_failure_at < forget_before,
                            ),
                            1,
                        ),
                        else_=table.c.failures + 1,
                    ),
                    "last_failure_at": now,
                },
            )
            .returning(*table.c)
        )
        return failures_from_row(self._c.execute(statement).one()._mapping)

    def lock(self, key: str, now: datetime) -> None:
        c = t.sign_in_failures.c
        self._c.execute(
            update(t.sign_in_failures)
            .where(c.key == key, c.locked_at.is_(None))
            .values(locked_at=now)
        )

    def clear(self, key: str) -> SignInFailures | None:
        found = self.get_many([key]).get(key)
        if found is not None:
            self._c.execute(delete(t.sign_in_failures).where(t.sign_in_failures.c.key == key))
        return found

    def purge(self, before: datetime, limit: int) -> int:
        c = t.sign_in_failures.c
        doomed = select(c.key).where(c.locked_at.is_(None), c.last_failure_at < before).limit(limit)
        keys = [r[0] for r in self._c.execute(doomed)]
        if not keys:
            return 0
        result = self._c.execute(delete(t.sign_in_failures).where(c.key.in_(keys)))
        return int(result.rowcount)
