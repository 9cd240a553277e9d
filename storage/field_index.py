"""In-memory secondary indexes, so the TinyDB store's `find` does not scan a whole collection.

An index maps each value of one field to the keys of the documents that
contain it. Results must equal a scan with TinyDB's `Query()[field] == value`, in
the collection's own order, so the indexes keep three rules:

* only values of the exact types str, int, float, bool and None go into the
  hash buckets, whose lookup agrees with `==` for them (1, 1.0 and True
  share a bucket, as they are equal);
* a document whose field holds anything else (a list, a dict, an object)
  is kept aside and compared with `==` on every lookup;
* a document without the field is in no bucket, because TinyDB's query does
  not match a missing field even for None.

Each collection with an index also numbers its keys in insertion order,
as its dict does: an update keeps the number and a delete drops it. Lookups
sort their keys by that number.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

SCALAR_TYPES = (str, int, float, bool, type(None))

Document = Mapping[str, Any]


def is_indexable(value: Any) -> bool:
    """Return True for values whose hash-bucket lookup gives the same result as `==`."""
    return type(value) in SCALAR_TYPES and value == value  # NaN equals nothing, so it is compared one by one


class FieldIndex:
    """The keys of one collection's documents, grouped by the value of one field."""

    def __init__(self, field: str):
        self.field = field
        self._buckets: dict[Any, set[str]] = {}
        self._others: dict[str, Any] = {}

    @classmethod
    def build(cls, field: str, docs: Mapping[str, Document]) -> "FieldIndex":
        """Return the index of `field` over the documents, built in one pass."""
        index = cls(field)
        buckets = index._buckets
        for key, doc in docs.items():
            if field not in doc:
                continue
            value = doc[field]
            if type(value) in SCALAR_TYPES and value == value:
                bucket = buckets.get(value)
                if bucket is None:
                    buckets[value] = {key}
                else:
                    bucket.add(key)
            else:
                index._others[key] = value
        return index

    def add(self, key: str, doc: Document | None) -> None:
        if doc is None or self.field not in doc:
            return
        value = doc[self.field]
        if is_indexable(value):
            self._buckets.setdefault(value, set()).add(key)
        else:
            self._others[key] = value

    def remove(self, key: str, doc: Document | None) -> None:
        if doc is None or self.field not in doc:
            return
        value = doc[self.field]
        if is_indexable(value):
            bucket = self._buckets.get(value)
            if bucket is not None:
                bucket.discard(key)
                if not bucket:
                    del self._buckets[value]
        else:
            self._others.pop(key, None)

    def keys_equal_to(self, value: Any) -> set[str]:
        """Return the keys of the documents whose field equals `value`."""
        if is_indexable(value):
            found = set(self._buckets.get(value, ()))
        else:
            # A str subclass such as a StrEnum member can equal a stored str, so every bucket is compared.
            found = set()
            for bucket_value, keys in self._buckets.items():
                if bucket_value == value:
                    found.update(keys)
        found.update(key for key, other in self._others.items() if other == value)
        return found

    def estimate(self, value: Any) -> int:
        """Return a cheap upper guess of how many keys `keys_equal_to(value)` returns, for ordering lookups."""
        if is_indexable(value):
            return len(self._buckets.get(value, ())) + len(self._others)
        return sum(len(keys) for keys in self._buckets.values()) + len(self._others)


class CollectionIndexes:
    """The field indexes of every collection, kept in step with the data by `apply`."""

    def __init__(self, read: Callable[[], Mapping[str, Mapping[str, Document]]]):
        self._read = read
        self._indexes: dict[str, dict[str, FieldIndex]] = {}
        self._positions: dict[str, dict[str, int]] = {}
        self._next_position: dict[str, int] = {}

    def ensure(self, collection: str, fields: Iterable[str]) -> None:
        """Build the indexes of these fields from the stored documents, unless they exist."""
        indexes = self._indexes.get(collection)
        if indexes is None:
            indexes = self._indexes[collection] = {}
            docs = self._read().get(collection, {})
            self._positions[collection] = {key: number for number, key in enumerate(docs)}
            self._next_position[collection] = len(docs)
        for field in fields:
            if field in indexes:
                continue
            indexes[field] = FieldIndex.build(field, self._read().get(collection, {}))

    def find_keys(self, collection: str, equals: Mapping[str, Any]) -> list[str]:
        """Return the keys of the documents matching every field, in the collection's order."""
        self.ensure(collection, equals)
        indexes = self._indexes[collection]
        matches: set[str] | None = None
        # Starting from the smallest candidate set keeps the intersections short.
        for field, value in sorted(equals.items(), key=lambda item: indexes[item[0]].estimate(item[1])):
            found = indexes[field].keys_equal_to(value)
            matches = found if matches is None else matches & found
            if not matches:
                return []
        positions = self._positions[collection]
        return sorted(matches or (), key=positions.__getitem__)

    def apply(self, changes: Sequence[tuple[str, str, Document | None]]) -> None:
        """Update the indexes for changes about to be applied to the data; call before the data changes.

        Changes to the same key within one batch are taken in order, so
        each one is indexed against the document the one before it left.
        """
        data = self._read()
        latest: dict[tuple[str, str], Document | None] = {}
        for collection, key, doc in changes:
            indexes = self._indexes.get(collection)
            if indexes is None:
                continue
            slot = (collection, key)
            old = latest[slot] if slot in latest else data.get(collection, {}).get(key)
            latest[slot] = doc
            for index in indexes.values():
                index.remove(key, old)
                index.add(key, doc)
            positions = self._positions[collection]
            if doc is None:
                positions.pop(key, None)
            elif old is None:
                positions[key] = self._next_position[collection]
                self._next_position[collection] += 1
