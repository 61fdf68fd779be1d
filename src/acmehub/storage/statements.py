"""Prepared statements for the repositories' hot paths: SQLAlchemy Core SQL, DBAPI-cursor speed.

Why: ``conn.execute(select(t.accounts).where(t.accounts.c.id == x)).first()`` costs about
225 us on SQLite, and 77 us with a prebuilt statement, while the same SQL string on the DBAPI
cursor takes 6 us: statement building, cache keys and result set-up were half of the server's
CPU under load. A :class:`Prepared` statement is still written with SQLAlchemy Core (no
dialect-specific SQL), but it is built once, compiled once per dialect, and run straight on
the cursor of the connection's transaction, with the bind and result processors SQLAlchemy
itself would apply (UtcDateTime, JSON, Boolean...). Rows come back as plain dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from sqlalchemy import Connection, Insert, Table, Update, bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.selectable import SelectBase

Row = dict[str, Any]
_Processor = Callable[[Any], Any] | None
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Compiled:
    """One statement compiled for one dialect."""

    sql: str
    #: (name in the SQL, key in the caller's params, bind processor), in SQL order if positional.
    binds: tuple[tuple[str, str, _Processor], ...]
    positional: bool
    #: Values written into the statement itself (``c.status == "processing"``).
    fixed: Mapping[str, Any]
    #: Every key the caller may pass (anything else is a mistake, as in SQLAlchemy).
    known: frozenset[str]
    #: Result columns: (key, result processor).
    columns: tuple[tuple[str, _Processor], ...]

    def parameters(self, params: Mapping[str, Any]) -> Any:
        if not params.keys() <= self.known:
            raise KeyError(f"unknown parameters {sorted(set(params) - self.known)}")
        if self.fixed:
            params = {**self.fixed, **params}
        if self.positional:
            return tuple(
                params[key] if proc is None else proc(params[key]) for _, key, proc in self.binds
            )
        return {
            name: params[key] if proc is None else proc(params[key])
            for name, key, proc in self.binds
        }

    def row(self, raw: Sequence[Any]) -> Row:
        return {
            key: value if proc is None else proc(value)
            for (key, proc), value in zip(self.columns, raw, strict=True)
        }


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("expanding or literal-execute parameters need a per-call SQL string")
    names = {name: bp for bp, name in compiled.bind_names.items()}
    escaped = compiled.escaped_bind_names

    def bind(name: str) -> tuple[str, str, _Processor]:
        proc = names[name].type.dialect_impl(dialect).bind_processor(dialect)
        return escaped.get(name, name), name, proc

    order = compiled.positiontup if compiled.positional else list(names)
    assert order is not None
    columns: tuple[tuple[str, _Processor], ...] = ()
    if isinstance(statement, SelectBase):
        columns = tuple(
            (str(col.key), col.type.dialect_impl(dialect).result_processor(dialect, None))
            for col in statement.selected_columns
        )
        assert len({key for key, _ in columns}) == len(columns), "result keys must be unique"
    return _Compiled(
        sql=compiled.string,
        binds=tuple(bind(name) for name in order),
        positional=compiled.positional,
        fixed={name: bp.effective_value for name, bp in names.items() if not bp.required},
        known=frozenset(names),
        columns=columns,
    )


class Prepared:
    """A Core statement built once (with ``bindparam`` values), run on the DBAPI cursor."""

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[tuple[str, str], _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        found = self._by_dialect.get(key)
        if found is None:  # a race compiles twice: harmless
            found = self._by_dialect[key] = _compile(self.statement, dialect)
        return found

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Row | None:
        """The first row (the rest are discarded), or None."""
        return self._execute(conn, params, _first)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Row]:
        return self._execute(conn, params, _all)

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Executes an INSERT/UPDATE/DELETE; returns the rowcount."""
        return self._execute(conn, params, _rowcount)

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Executes the statement once per row (DBAPI ``executemany``)."""
        c = self.compiled(conn.dialect)
        cursor = _cursor(conn)
        try:
            cursor.executemany(c.sql, [c.parameters(row) for row in rows])
        except BaseException as e:
            _raise(conn, e, c.sql, rows, cursor)
        cursor.close()

    def _execute(
        self,
        conn: Connection,
        params: Mapping[str, Any],
        fetch: Callable[[_Compiled, DBAPICursor], _T],
    ) -> _T:
        c = self.compiled(conn.dialect)
        cursor = _cursor(conn)
        try:
            cursor.execute(c.sql, c.parameters(params))
            result = fetch(c, cursor)
        except BaseException as e:
            _raise(conn, e, c.sql, params, cursor)
        cursor.close()
        return result


def _first(c: _Compiled, cursor: DBAPICursor) -> Row | None:
    raw = cursor.fetchone()
    return None if raw is None else c.row(raw)


def _all(c: _Compiled, cursor: DBAPICursor) -> list[Row]:
    return [c.row(raw) for raw in cursor.fetchall()]


def _rowcount(_c: _Compiled, cursor: DBAPICursor) -> int:
    return int(cursor.rowcount)


def _cursor(conn: Connection) -> DBAPICursor:
    trans = conn.get_transaction()
    if trans is None:
        conn.begin()  # Connection.execute would autobegin too
    elif not trans.is_active:
        raise PendingRollbackError("inactive transaction: rollback() fully before proceeding")
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    return dbapi.cursor()


def _raise(
    conn: Connection, e: BaseException, sql: str, params: Any, cursor: DBAPICursor
) -> NoReturn:
    # What Connection.execute does with an error (and closes the cursor): wrap DBAPI errors
    # (IntegrityError...), invalidate a disconnected connection, run handle_error events.
    conn._handle_dbapi_exception(e, sql, params, cursor, None)


def insert_of(table: Table, keys: Iterable[str] | None = None) -> Insert:
    """``INSERT INTO table (keys...) VALUES (:key...)``; every column by default.

    A column left out gets NULL or its server default: one with a Python-side ``default=``
    would get nothing here (SQLAlchemy fills those in only for its own executions), so it
    is refused.
    """
    names = [c.name for c in table.c] if keys is None else list(keys)
    for col in table.c:
        if col.name not in names and col.default is not None:
            raise ValueError(f"{table.name}.{col.name} has a Python-side default: include it")
    return insert(table).values({n: bindparam(n, type_=table.c[n].type) for n in names})


def update_of(table: Table, keys: Iterable[str], where: ColumnElement[bool]) -> Update:
    """``UPDATE table SET key=:key... WHERE where`` (``where`` names its own bindparams)."""
    for col in table.c:
        if col.onupdate is not None:
            raise ValueError(f"{table.name}.{col.name} has a Python-side onupdate")
    values = {n: bindparam(n, type_=table.c[n].type) for n in keys}
    return update(table).where(where).values(values)


def select_by(table: Table, column: str, *, lock: bool = False) -> Prepared:
    """``SELECT * FROM table WHERE column = :column`` (``FOR UPDATE`` if lock)."""
    query = select(table).where(table.c[column] == bindparam(column))
    return Prepared(query.with_for_update() if lock else query)


def update_by_id(table: Table, keys: Sequence[str]) -> Prepared:
    """``UPDATE table SET key=:key... WHERE id = :id``."""
    return Prepared(update_of(table, keys, table.c.id == bindparam("id")))
