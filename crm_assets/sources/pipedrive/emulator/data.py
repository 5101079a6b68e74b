"""The emulator's data: sizes, compact per-record arrays, deterministic randomness.

A million deals must fit, so no entity is held as dicts. Each big entity is a
`Table` of three stdlib arrays indexed by id - 1: `add` and `upd` (epoch seconds)
and `state` (status and flag bits), which is all that filtering and sorting need.
Every other attribute is recomputed from the record's id by `Rand` when a record is
served (see emulator_records.py), so a record looks the same on every request.

Time: the data's "present" is noon UTC of the anchor date. Records are created
over the two years before it, ids in creation order as Pipedrive assigns them;
many were updated in the last weeks. Admin changes (delete, archive, touch without
a time) land one second apart after the present, inside the anchor day.
"""

from __future__ import annotations

import hashlib
import random
import sys
from array import array
from datetime import UTC, date, datetime, time

MASK = (1 << 64) - 1
DAY = 86_400
SPAN = 730 * DAY
DELETED_WINDOW = 30 * DAY  # deleted deals are listed for 30 days, then purged

DEFAULT_SIZES = {
    "deals": 20_000,
    "persons": 10_000,
    "organizations": 5_000,
    "activities": 30_000,
    "notes": 8_000,
    "products": 500,
    "users": 25,
    "teams": 5,
    "pipelines": 3,
    "activity_types": 8,
}
SCALED = ("deals", "persons", "organizations", "activities", "notes")
TABLES = ("deals", "persons", "organizations", "activities", "notes", "products")
AT_LEAST_ONE = ("users", "pipelines", "activity_types")

# Bits of Table.state. Deals keep their status (0 open, 1 won, 2 lost) in the low two.
STATUS_MASK = 3
DELETED = 4
ARCHIVED = 8
DONE = 16  # activities
FRESH = 32  # deals never edited after creation: open, in their pipeline's first stage
STATUSES = ("open", "won", "lost")
# A deal moves stage or closes only when it was edited at least this long after creation.
ROOM = 3600


def mix(x: int) -> int:
    """splitmix64: a fast, well-spread 64-bit hash."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def salt(seed: int, name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:8], "big")


class Rand:
    """Deterministic random draws for one record: `r(k)` is the k-th 64-bit draw."""

    __slots__ = ("base",)

    def __init__(self, entity_salt: int, item_id: int):
        self.base = mix(entity_salt ^ (item_id * 0x100000001B3 & MASK))

    def __call__(self, k: int) -> int:
        return mix(self.base + k)

    def pick(self, k: int, items):
        return items[self(k) % len(items)]

    def chance(self, k: int, percent: int) -> bool:
        return self(k) % 100 < percent


def resolve_sizes(scale: float, sizes: dict[str, int] | None) -> dict[str, int]:
    if scale <= 0:
        raise ValueError(f"scale must be positive, not {scale}")
    unknown = set(sizes or {}) - set(DEFAULT_SIZES)
    if unknown:
        raise ValueError(f"unknown sizes {sorted(unknown)}; known: {sorted(DEFAULT_SIZES)}")
    resolved = {
        name: round(count * scale) if name in SCALED else count
        for name, count in DEFAULT_SIZES.items()
    }
    resolved.update(sizes or {})
    for name, count in resolved.items():
        if count < (1 if name in AT_LEAST_ONE else 0):
            raise ValueError(f"sizes[{name!r}] must be at least {int(name in AT_LEAST_ONE)}")
    return resolved


class Table:
    """Compact columns of one big entity; index i holds the record with id i + 1."""

    def __init__(self, name: str, add: array, upd: array, state: array):
        self.name = name
        self.add, self.upd, self.state = add, upd, state
        self.version = 0
        self._by_update: array | None = None

    def __len__(self) -> int:
        return len(self.add)

    def by_update(self) -> array:
        """Indices sorted by (update time, id); built on first use, then kept current."""
        if self._by_update is None:
            self._by_update = array("q", sorted(range(len(self)), key=self.upd.__getitem__))
        return self._by_update

    def has_update_index(self) -> bool:
        return self._by_update is not None

    def set_update(self, i: int, ts: int) -> None:
        order = self._by_update
        if order is not None:
            old = self.upd[i]
            del order[bisect_index(order, (old, i), self.upd)]
        self.upd[i] = ts
        if order is not None:
            order.insert(bisect_index(order, (ts, i), self.upd), i)
        self.version += 1

    def set_state(self, i: int, state: int) -> None:
        self.state[i] = state
        self.version += 1


def bisect_index(order: array, target: tuple[int, int], upd: array) -> int:
    lo, hi = 0, len(order)
    while lo < hi:
        mid = (lo + hi) // 2
        j = order[mid]
        if (upd[j], j) < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _words(rng: random.Random, n: int) -> array:
    words = array("I")
    assert words.itemsize == 4
    words.frombytes(rng.randbytes(4 * n))
    if sys.byteorder == "big":  # the same data on every platform
        words.byteswap()
    return words


def build_table(name: str, n: int, seed: int, present: int) -> Table:
    """Creation and update times and state bits for `n` records, in a second or so per million."""
    rng = random.Random(f"{seed}:{name}")
    r1, r2, r3 = _words(rng, n), _words(rng, n), _words(rng, n)
    start = present - SPAN
    step = max(1, SPAN // max(n, 1))
    # Ids follow creation order: add times never decrease with the id.
    add = array("q", [start + (i * SPAN) // n + w % step for i, w in enumerate(r1)])

    def updated(created: int, w: int, w3: int) -> int:
        mode = w % 100
        if mode < 35:  # never edited
            return created
        if mode < 80:  # edited some time after creation
            return created + w3 % (present - created)
        recent = present - w3 % (14 * DAY)  # busy lately: incremental syncs find work
        return recent if recent > created else created

    upd = array("q", map(updated, add, r2, r3))
    if name == "deals":
        state = array("B", map(_deal_state, r2))
        for i in range(n):
            if upd[i] - add[i] < ROOM:
                # Nobody touched it since creation: it cannot have moved on or closed.
                state[i] = (state[i] & ~STATUS_MASK) | FRESH
            if state[i] & DELETED:
                # Deletion is an update; those deleted over 30 days ago are purged.
                upd[i] = max(add[i], present - r3[i] % (45 * DAY))
    elif name == "activities":
        state = array("B", [DONE if (w >> 8) % 100 < 60 else 0 for w in r2])
    else:
        state = array("B", bytes(n))
    return Table(name, add, upd, state)


def _deal_state(w: int) -> int:
    status = (w >> 8) % 100
    bits = 0 if status < 55 else 1 if status < 80 else 2
    flag = (w >> 16) % 1000
    if flag < 15:
        bits |= DELETED
    elif flag < 45:
        bits |= ARCHIVED
    return bits


class Dataset:
    """Sizes, the present, and the lazily built tables of one emulator."""

    def __init__(self, *, seed: int, anchor: date, sizes: dict[str, int]):
        self.seed = seed
        self.anchor = anchor
        self.sizes = sizes
        self.present = int(datetime.combine(anchor, time(12), UTC).timestamp())
        self._tables: dict[str, Table] = {}
        self._last_change = self.present
        self.salts = {name: salt(seed, name) for name in (*DEFAULT_SIZES, "deal_products")}

    def table(self, name: str) -> Table:
        """Built on first use, so a million-deal emulator starts at once."""
        if name not in self._tables:
            self._tables[name] = build_table(name, self.sizes[name], self.seed, self.present)
        return self._tables[name]

    def rand(self, entity: str, item_id: int) -> Rand:
        return Rand(self.salts[entity], item_id)

    def change_time(self, when: datetime | None) -> int:
        """The update time of an admin change: `when`, or one second after the last."""
        if when is None:
            self._last_change += 1
            return self._last_change
        if when.tzinfo is None:  # naive means UTC, as in the other emulators
            when = when.replace(tzinfo=UTC)
        ts = int(when.timestamp())
        self._last_change = max(self._last_change, ts)
        return ts

    def deal_visible(self, i: int) -> bool:
        """False for a purged deal: deleted more than 30 days before the present."""
        table = self.table("deals")
        return not table.state[i] & DELETED or table.upd[i] >= self.present - DELETED_WINDOW
