"""Repositories of the web interface: users and their sessions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from acmehub.domain.model import Role, User, WebSession
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
