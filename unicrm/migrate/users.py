"""Matching the source CRM's users to the target's, so every record keeps a real owner.

:func:`match_users` is a pure function over two user lists and the mapping's ``[users]``:

1. ``[users.map]`` (source id -> target id) wins;
2. else the active target user with the same e-mail (case-folded, trimmed);
3. else the active target user with the same full name (case-folded, words in any order:
   "Petrov Ivan" is "Ivan Petrov");
4. else the default user: ``[users] default``, or else the user the target's token belongs
   to; with neither, the id is kept as it is (and a target that refuses it teaches the run
   to move it to the note).

A key two active target users share matches neither (a guess would be worse than the
default). The rules are a table (:data:`MATCHERS`), tried in order.

The engine matches when both CRMs expose users: a ``users`` collection on the CRM whose
``all().to_list()`` gives records with ``id``, ``name``, ``email`` and ``active`` (the
neutral ``User``), and optionally ``me()`` for the token's user. Until then, user ids pass as
the mapping file says, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs


@attrs.frozen
class Person:
    """A user as matching sees one."""

    id: str = attrs.field(converter=str)
    name: str = ""
    email: str = ""
    active: bool = True

    def label(self) -> str:
        """``Name <e-mail> (id)`` with the parts that are known."""
        parts = [" ".join(self.name.split()) or "(no name)"]
        if self.email.strip():
            parts.append(f"<{self.email.strip()}>")
        parts.append(f"({self.id})")
        return " ".join(parts)


def person_of(user: Any) -> Person:
    """A :class:`Person` from a user record (anything with ``id``, ``name``, ``email``,
    ``active`` attributes; missing ones are empty)."""
    active = getattr(user, "active", True)
    return Person(
        id=getattr(user, "id", ""),
        name=str(getattr(user, "name", None) or ""),
        email=str(getattr(user, "email", None) or ""),
        active=True if active is None else bool(active),
    )


def _email(person: Person) -> str:
    return person.email.strip().casefold()


def _full_name(person: Person) -> str:
    return " ".join(sorted(person.name.casefold().split()))


#: How users are matched, in order: the reason a decision gives, and the key compared.
MATCHERS: tuple[tuple[str, Callable[[Person], str]], ...] = (
    ("same e-mail", _email),
    ("same full name", _full_name),
)
OVERRIDE = "set in the mapping"
DEFAULT = "no match: the default user"
KEPT = "no match and no default user: the id is kept"


@attrs.frozen
class UserMatch:
    """Where one source user's records go, and why."""

    source: Person
    target: Person | None
    how: str

    @property
    def matched(self) -> bool:
        return self.how not in {DEFAULT, KEPT}


def _index(people: Iterable[Person], key: Callable[[Person], str]) -> dict[str, Person | None]:
    """Active people by ``key``; None for a key several of them share."""
    found: dict[str, Person | None] = {}
    for person in people:
        value = key(person)
        if person.active and value:
            found[value] = None if value in found else person
    return found


def match_users(
    source: Iterable[Person],
    target: Iterable[Person],
    overrides: Mapping[str, str],
    default: str = "",
) -> list[UserMatch]:
    """Match every source user (see the module docstring), in source order."""
    theirs = list(target)
    by_id = {p.id: p for p in theirs}
    indexes = [(how, key, _index(theirs, key)) for how, key in MATCHERS]
    fallback = by_id.get(default) or (Person(default) if default else None)
    matches = []
    for person in source:
        if person.id in overrides:
            chosen = overrides[person.id]
            matches.append(UserMatch(person, by_id.get(chosen) or Person(chosen), OVERRIDE))
            continue
        for how, key, index in indexes:
            found = index.get(key(person)) if key(person) else None
            if found is not None:
                matches.append(UserMatch(person, found, how))
                break
        else:
            matches.append(UserMatch(person, fallback, DEFAULT if fallback else KEPT))
    return matches


def users_map(matches: Iterable[UserMatch]) -> dict[str, str]:
    """Source id -> target id of every match that has a target."""
    return {m.source.id: m.target.id for m in matches if m.target is not None}


async def read_users(crm: Any) -> tuple[list[Person], str] | None:
    """The CRM's users and the id of the token's user ("" if unknown), or None when the CRM
    does not expose users."""
    users = getattr(crm, "users", None)
    if users is None or not callable(getattr(users, "all", None)):
        return None
    people = [person_of(u) for u in await users.all().to_list()]
    me = getattr(users, "me", None)
    current = person_of(await me()).id if callable(me) else ""
    return people, current
