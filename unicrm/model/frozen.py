"""An immutable, hashable, picklable mapping for the model's ``custom`` and ``extra`` fields."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

V = TypeVar("V")


class FrozenMap(Mapping[str, V]):
    """A read-only ``dict`` copy. Model records are immutable, so their mappings are too."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, V] | None = None) -> None:
        self._data: dict[str, V] = dict(data or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(sorted((k, _hashable(v)) for k, v in self._data.items())))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))

    def set(self, key: str, value: V) -> FrozenMap[V]:
        """A copy with ``key`` set to ``value``."""
        return FrozenMap({**self._data, key: value})

    def without(self, *keys: str) -> FrozenMap[V]:
        """A copy without ``keys``."""
        return FrozenMap({k: v for k, v in self._data.items() if k not in keys})


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def freeze(value: Mapping[str, V] | None) -> FrozenMap[V]:
    """attrs converter: any mapping (or None) to a :class:`FrozenMap`."""
    if isinstance(value, FrozenMap):
        return value
    return FrozenMap(value)
