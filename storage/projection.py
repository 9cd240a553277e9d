"""Projections: chosen field values of stored documents as immutable tuples, for reads of whole collections.

`Store.find` copies every document it returns, so callers cannot change
stored data. For reads over a whole collection, such as the reports over
100,000 requests, the copies cost more than the work done with them.
`Store.project` returns only the values of the fields a caller names,
one tuple a document. A tuple and its values cannot be changed: strings,
numbers, booleans and None are immutable, and a dict or list value comes
back frozen (see `freeze`). So a backend may share the tuples between
callers and keep them in step with writes, as the TinyDB store does.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

FieldPath = str | tuple[str, ...]
"""A field name, or a path of names into nested dicts, such as ("after", "rating")."""

CONTAINER_TYPES = frozenset((dict, list, tuple))


def freeze(value: Any) -> Any:
    """Return an immutable copy of a JSON-like value.

    A dict becomes a read-only `types.MappingProxyType` over a copy, a list
    or tuple becomes a tuple, at every depth. Other values are returned as
    they are, because documents contain JSON types, whose other values cannot
    change.
    """
    if isinstance(value, dict):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


class Projection:
    """The fields to read from each document, with the value to read where a document lacks one.

    `fields` maps each field name or path to that value. A path reads
    nested dicts and gives the value for a missing field when any step is
    missing or is not a dict. Rows have the values in the order of `fields`.
    """

    def __init__(self, fields: Mapping[FieldPath, Any]):
        if not fields:
            raise ValueError("the projection fields are missing. Name at least one field to read.")
        for field in fields:
            if not (isinstance(field, str) or (isinstance(field, tuple) and field and all(isinstance(name, str) for name in field))):
                raise TypeError(f"projection field {field!r} is invalid. Use a field name or a tuple of field names.")
        self.fields = tuple(fields)
        self.defaults = tuple(fields.values())
        self._flat = all(isinstance(field, str) for field in self.fields)

    @property
    def key(self) -> tuple[tuple[FieldPath, type, Any], ...]:
        """Return a value that identifies the projection, hashable when every default is.

        The key contains each default's type as well, because 1, 1.0 and True
        are equal but read differently for a missing field.
        """
        return tuple((field, type(default), default) for field, default in zip(self.fields, self.defaults))

    def row(self, doc: Mapping[str, Any]) -> tuple[Any, ...]:
        """Return the document's values of the fields, with dict and list values frozen."""
        if self._flat:
            values = tuple(map(doc.get, self.fields, self.defaults))
        else:
            values = tuple(_value_at(doc, field, default) for field, default in zip(self.fields, self.defaults))
        if CONTAINER_TYPES.isdisjoint(map(type, values)):
            return values
        return tuple(freeze(value) for value in values)

    def rows(self, docs: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        return [self.row(doc) for doc in docs]


def matches(doc: Mapping[str, Any], equals: Mapping[str, Any]) -> bool:
    """Return True when the document has every field of `equals` with an equal value, as `Store.find` selects."""
    return all(field in doc and doc[field] == value for field, value in equals.items())


def _value_at(doc: Mapping[str, Any], field: FieldPath, default: Any) -> Any:
    if isinstance(field, str):
        return doc.get(field, default)
    value: Any = doc
    for step, name in enumerate(field):
        if (step and not isinstance(value, (dict, MappingProxyType))) or name not in value:
            return default
        value = value[name]
    return value


# The TinyDB store keeps at most this many projections in step with writes.
# Reading another one drops the one read least recently.
MAX_KEPT_PROJECTIONS = 8
# A kept projection shares equal strings among its rows, for up to this many
# distinct strings a field (see `_KeptProjection.row`).
MAX_SHARED_STRINGS = 4096


class _KeptProjection:
    """The rows of one projection of one collection's matching documents, by key, in the collection's order."""

    def __init__(self, collection: str, projection: Projection, equals: Mapping[str, Any], docs: Mapping[str, Mapping[str, Any]]):
        self.collection = collection
        self.projection = projection
        self.equals = dict(equals)
        self._strings: list[dict[str, str]] = [{} for _ in projection.fields]
        self.rows = {key: self.row(doc) for key, doc in docs.items()}

    def row(self, doc: Mapping[str, Any]) -> tuple[Any, ...]:
        """Return the projection's row of the document, with strings shared among rows.

        Each stored document has its own string objects, even for a status
        or a school name that thousands of documents repeat. Rows that
        point to one shared string instead keep those few strings in the
        processor's cache while a caller reads every row, which made the
        report over 100,000 requests about a quarter faster. A field with
        many distinct strings, such as a time, shares only its first
        MAX_SHARED_STRINGS, which bounds the memory this takes.
        """
        values = []
        for value, strings in zip(self.projection.row(doc), self._strings):
            if type(value) is str:
                shared = strings.get(value)
                if shared is not None:
                    value = shared
                elif len(strings) < MAX_SHARED_STRINGS:
                    strings[value] = value
            values.append(value)
        return tuple(values)


class CollectionProjections:
    """The TinyDB store's projections, built on their first read and kept in step with the data by `apply`.

    A kept projection costs memory for a tuple per matching document, whose
    values are stored objects, not copies. It saves reading every document
    again on the next read.
    """

    def __init__(
        self,
        read: Callable[[], Mapping[str, Mapping[str, Mapping[str, Any]]]],
        find_keys: Callable[[str, Mapping[str, Any]], list[str]],
        limit: int = MAX_KEPT_PROJECTIONS,
    ):
        self._read = read
        self._find_keys = find_keys
        self._limit = limit
        self._kept: OrderedDict[Hashable, _KeptProjection] = OrderedDict()

    def rows(self, collection: str, projection: Projection, equals: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Return the projected rows of the documents matching `equals`, in the collection's order."""
        key = (collection, projection.key, tuple(sorted(equals.items(), key=lambda item: item[0])))
        try:
            kept = self._kept.get(key)
        except TypeError:
            # A default or a value of `equals` is not hashable, so this projection cannot be kept.
            return projection.rows(self._matching(collection, equals).values())
        if kept is None:
            kept = self._kept[key] = _KeptProjection(collection, projection, equals, self._matching(collection, equals))
            while len(self._kept) > self._limit:
                self._kept.popitem(last=False)
        else:
            self._kept.move_to_end(key)
        return list(kept.rows.values())

    def apply(self, changes: Sequence[tuple[str, str, Mapping[str, Any] | None]]) -> None:
        """Update the kept projections for changes about to be applied to the data; call before the data changes."""
        if not self._kept:
            return
        data = self._read()
        latest: dict[tuple[str, str], Mapping[str, Any] | None] = {}
        for collection, key, doc in changes:
            slot = (collection, key)
            old = latest[slot] if slot in latest else data.get(collection, {}).get(key)
            latest[slot] = doc
            for kept_key, kept in list(self._kept.items()):
                if kept.collection != collection:
                    continue
                if doc is None or not matches(doc, kept.equals):
                    kept.rows.pop(key, None)
                elif key in kept.rows or old is None:
                    # An update keeps its place and a new key goes last, as in the collection's dict.
                    kept.rows[key] = kept.row(doc)
                else:
                    # A stored document that starts to match has a place among the rows
                    # that only a rebuild finds, so the projection is built again on its next read.
                    del self._kept[kept_key]

    def _matching(self, collection: str, equals: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
        docs = self._read().get(collection) or {}
        if not equals:
            return docs
        return {key: docs[key] for key in self._find_keys(collection, equals)}
