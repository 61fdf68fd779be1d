"""Server-side paging of lists: ``page`` and ``size`` query parameters, "Showing x-y of N"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")

SIZES = (10, 25, 50, 100)
DEFAULT_SIZE = 25


@dataclass(frozen=True)
class PageRequest:
    page: int  # 1-based
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> PageRequest:
        """Lenient: a missing or odd value falls back to the first page / default size."""
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            page = 1
        try:
            size = int(query.get("size", str(DEFAULT_SIZE)))
        except ValueError:
            size = DEFAULT_SIZE
        return cls(min(page, 1_000_000), size if size in SIZES else DEFAULT_SIZE)


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list and what the pager shows."""

    items: Sequence[T]
    page: int
    size: int
    #: Every match, or None where the storage does not count (then ``has_more`` says).
    total: int | None
    #: The other query parameters (filters) the pager's links keep.
    query: tuple[tuple[str, str], ...] = ()
    path: str = ""
    has_more: bool = False

    @property
    def pages(self) -> int | None:
        if self.total is None:
            return None
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        return 0 if not self.items else (self.page - 1) * self.size + 1

    @property
    def last(self) -> int:
        return 0 if not self.items else self.first + len(self.items) - 1

    def link(self, page: int, size: int | None = None) -> str:
        params = [*self.query, ("page", str(page)), ("size", str(size or self.size))]
        return f"{self.path}?{urlencode(params)}"

    @property
    def previous(self) -> str | None:
        return self.link(self.page - 1) if self.page > 1 else None

    @property
    def next(self) -> str | None:
        more = self.has_more if self.pages is None else self.page < self.pages
        return self.link(self.page + 1) if more else None

    @property
    def sizes(self) -> tuple[int, ...]:
        return SIZES


def keep_query(query: Mapping[str, str], *names: str) -> tuple[tuple[str, str], ...]:
    """The filter values (``names``) present in the query, for the pager's links."""
    return tuple((n, query[n]) for n in names if query.get(n))


def paginate(
    items: Sequence[T], request: PageRequest, path: str, query: tuple[tuple[str, str], ...] = ()
) -> Paged[T]:
    """Page a list already in memory (small collections such as profiles)."""
    total = len(items)
    page = min(request.page, max(1, -(-total // request.size)))
    start = (page - 1) * request.size
    return Paged(items[start : start + request.size], page, request.size, total, query, path)


def page_of(
    items: Sequence[T],
    total: int,
    request: PageRequest,
    path: str,
    query: tuple[tuple[str, str], ...] = (),
) -> Paged[T]:
    """A page the storage already cut (``items`` is the page, ``total`` counts every match)."""
    return Paged(items, request.page, request.size, total, query, path)


def page_without_total(
    items: Sequence[T],
    has_more: bool,
    request: PageRequest,
    path: str,
    query: tuple[tuple[str, str], ...] = (),
) -> Paged[T]:
    """A page from storage that tells only whether another page follows (the audit log)."""
    return Paged(items, request.page, request.size, None, query, path, has_more)
