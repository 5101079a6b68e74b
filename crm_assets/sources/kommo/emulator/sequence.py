"""Records defined by index, so a million leads cost no memory.

Record `i` of a kind has update time `start + i * span // n + phase`: times grow
with the index, so a time window is an index range found by bisection, and a
page is computed, not scanned. Deleted records are the indexes `i % modulus ==
residue`; both the live and the deleted ones can be counted and ranked in closed
form. Events merge several such kinds in time order (`merged_page`).
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice


@dataclass(frozen=True)
class Sieve:
    """Indexes `i` with `i % modulus == residue` are one side (deleted), the rest the other."""

    modulus: int
    residue: int

    def hits(self, x: int) -> int:
        """Deleted indexes in [0, x)."""
        return x // self.modulus + (1 if x % self.modulus > self.residue else 0)

    def misses(self, x: int) -> int:
        return x - self.hits(x)

    def is_hit(self, i: int) -> bool:
        return i % self.modulus == self.residue

    def nth_hit(self, k: int) -> int:
        return k * self.modulus + self.residue

    def nth_miss(self, k: int) -> int:
        block, offset = divmod(k, self.modulus - 1)
        return block * self.modulus + (offset if offset < self.residue else offset + 1)


NO_DELETES = Sieve(modulus=2**62, residue=2**62 - 1)


class Periodic:
    """Indexes whose residue modulo `period` is in `residues`: a Sieve with many residues.

    Counted and ranked in closed form like a Sieve, so a stream of the events only
    some records have (a lead's third status move, say) pages as cheaply as one of
    every record.
    """

    def __init__(self, period: int, residues: set[int]):
        self.period = period
        self.residues = sorted(r for r in residues if 0 <= r < period)
        self.others = sorted(set(range(period)) - set(self.residues))
        self._set = frozenset(self.residues)

    def hits(self, x: int) -> int:
        block, rest = divmod(x, self.period)
        return block * len(self.residues) + bisect_left(self.residues, rest)

    def misses(self, x: int) -> int:
        return x - self.hits(x)

    def is_hit(self, i: int) -> bool:
        return i % self.period in self._set

    def nth_hit(self, k: int) -> int:
        block, offset = divmod(k, len(self.residues))
        return block * self.period + self.residues[offset]

    def nth_miss(self, k: int) -> int:
        block, offset = divmod(k, len(self.others))
        return block * self.period + self.others[offset]


@dataclass(frozen=True)
class Kind:
    """`n` records spread evenly over `span` seconds from `start`."""

    n: int
    start: int
    span: int
    phase: int = 0
    deleted: Sieve | Periodic = NO_DELETES

    def time(self, i: int) -> int:
        return self.start + (i * self.span) // max(self.n, 1) + self.phase

    def first_at(self, moment: int) -> int:
        """The first index whose time is >= moment."""
        return bisect_left(range(self.n), moment, key=self.time)

    def indexes(self, low: int | None, high: int | None) -> tuple[int, int]:
        """Index range [a, b) of times within [low, high] (inclusive, None = open)."""
        a = 0 if low is None else self.first_at(low)
        b = self.n if high is None else self.first_at(high + 1)
        return a, max(a, b)

    def members(self, a: int, b: int, *, deleted: bool) -> tuple[int, int]:
        """Ranks [r0, r1) of the live (or deleted) indexes in [a, b)."""
        count = self.deleted.hits if deleted else self.deleted.misses
        return count(a), count(b)

    def nth(self, rank: int, *, deleted: bool) -> int:
        return self.deleted.nth_hit(rank) if deleted else self.deleted.nth_miss(rank)

    def page(self, low, high, offset: int, limit: int, *, deleted=False, desc=False) -> list[int]:
        """Indexes of one page of the live (or deleted) records timed within [low, high]."""
        r0, r1 = self.members(*self.indexes(low, high), deleted=deleted)
        ranks = range(r0, r1)[::-1] if desc else range(r0, r1)
        return [self.nth(r, deleted=deleted) for r in ranks[offset : offset + limit]]


@dataclass(frozen=True)
class Stream:
    """One kind of event: the live (or deleted) records of `kind`, at their times.

    `code` tells the streams' event ids apart; `step` is what a stream of a record's
    repeated events is (for status moves: how many moves before the lead's last).
    """

    name: str
    kind: Kind
    deleted: bool
    code: int = 0
    step: int = 0

    def count(self, low: int | None, high: int | None) -> int:
        r0, r1 = self.kind.members(*self.kind.indexes(low, high), deleted=self.deleted)
        return r1 - r0

    def after(self, moment: int, high: int | None) -> Iterator[tuple[int, int]]:
        a, b = self.kind.indexes(moment, high)
        r0, r1 = self.kind.members(a, b, deleted=self.deleted)
        for rank in range(r0, r1):
            i = self.kind.nth(rank, deleted=self.deleted)
            yield self.kind.time(i), i


def merged_page(
    streams: list[Stream], low: int | None, high: int | None, offset: int, limit: int
) -> list[tuple[Stream, int, int]]:
    """(stream, index, time) of one page of several streams merged by time."""
    total = sum(s.count(low, high) for s in streams)
    if offset >= total or limit <= 0:
        return []
    first = min((s.kind.time(0) for s in streams if s.kind.n), default=0)
    lo = first if low is None else low
    hi = max(s.kind.time(s.kind.n - 1) for s in streams if s.kind.n) if high is None else high
    # The earliest moment with more than `offset` events in [low, moment].
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(s.count(low, mid) for s in streams) > offset:
            hi = mid
        else:
            lo = mid + 1
    before = sum(s.count(low, lo - 1) for s in streams) if low is None or lo > low else 0
    merged = heapq.merge(*[_tagged(s, order, lo, high) for order, s in enumerate(streams)])
    return [
        (streams[order], i, t)
        for t, order, i in islice(merged, offset - before, offset - before + limit)
    ]


def _tagged(stream: Stream, order: int, moment: int, high: int | None):
    for t, i in stream.after(moment, high):
        yield t, order, i
